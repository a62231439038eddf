//! Export shapes: one cmd.exe event (Word starting `schtasks /create`)
//! written the way each tool writes it must give the same projected event.

use super::*;

const CMD_LINE: &str = "cmd.exe /c schtasks /create /tn upd /tr evil.exe";

fn expected_event(device: &str, account: &str) -> ProcessEvent {
    ProcessEvent {
        timestamp: cmdhunt_core::time::Timestamp::parse("2024-05-01T10:00:00Z"),
        device_name: device.into(),
        account_name: account.into(),
        file_name: "cmd.exe".into(),
        process_command_line: CMD_LINE.into(),
        initiating_process_file_name: "WINWORD.EXE".into(),
        initiating_process_command_line: "WINWORD.EXE /n".into(),
        parent_inferred: false,
    }
}

const SYSMON_DATA: &str = r#"{"UtcTime":"2024-05-01 10:00:00.000","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c schtasks /create /tn upd /tr evil.exe","ParentImage":"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE","ParentCommandLine":"WINWORD.EXE /n","User":"CORP\\bob"}"#;

const DEFENDER_ROW: &str = r#"{"Timestamp":"2024-05-01T10:00:00Z","DeviceName":"ws1","AccountName":"bob","ActionType":"ProcessCreated","FileName":"cmd.exe","ProcessCommandLine":"cmd.exe /c schtasks /create /tn upd /tr evil.exe","InitiatingProcessFileName":"WINWORD.EXE","InitiatingProcessCommandLine":"WINWORD.EXE /n"}"#;

const DEFENDER_OTHER: &str = r#"{"Timestamp":"2024-05-01T09:00:00Z","DeviceName":"ws1","AccountName":"bob","ActionType":"FileCreated","FileName":"a.txt","ProcessCommandLine":"","InitiatingProcessFileName":"explorer.exe","InitiatingProcessCommandLine":""}"#;

/// Each shape: its name, the text, the expected events (class, event) in order.
/// A shape's name, its text, and the events it must give.
type Shape = (&'static str, String, Vec<(RecordClass, ProcessEvent)>);

fn shapes() -> Vec<Shape> {
    let pc = RecordClass::ProcessCreation;
    let file_created = RecordClass::Other("ActionType FileCreated".into());
    let defender = expected_event("ws1", "bob");
    let defender_other = ProcessEvent {
        timestamp: cmdhunt_core::time::Timestamp::parse("2024-05-01T09:00:00Z"),
        device_name: "ws1".into(),
        account_name: "bob".into(),
        file_name: "a.txt".into(),
        initiating_process_file_name: "explorer.exe".into(),
        ..ProcessEvent::default()
    };
    let columns = r#"[{"name":"TimeGenerated","type":"datetime"},{"name":"DeviceName","type":"string"},{"name":"AccountName","type":"string"},{"name":"ActionType","type":"string"},{"name":"FileName","type":"string"},{"name":"ProcessCommandLine","type":"string"},{"name":"InitiatingProcessFileName","type":"string"},{"name":"InitiatingProcessCommandLine","type":"string"}]"#;
    let row = r#"["2024-05-01T10:00:00Z","ws1","bob","ProcessCreated","cmd.exe","cmd.exe /c schtasks /create /tn upd /tr evil.exe","WINWORD.EXE","WINWORD.EXE /n"]"#;
    let row_other =
        r#"["2024-05-01T09:00:00Z","ws1","bob","FileCreated","a.txt","","explorer.exe",""]"#;
    let winlogbeat7 = format!(
        r#"{{"@timestamp":"2024-05-01T10:00:00.000Z","event":{{"code":"1","provider":"Microsoft-Windows-Sysmon","kind":"event"}},"host":{{"name":"ws1.corp.local"}},"winlog":{{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws1.corp.local","event_id":1,"provider_name":"Microsoft-Windows-Sysmon","record_id":42,"user":{{"name":"SYSTEM"}},"event_data":{SYSMON_DATA}}}}}"#
    );
    let winlogbeat7_net = winlogbeat7
        .replace(r#""code":"1""#, r#""code":"3""#)
        .replace(r#""event_id":1,"#, r#""event_id":3,"#);
    let winlogbeat6 = format!(
        r#"{{"@timestamp":"2024-05-01T10:00:00.000Z","computer_name":"ws1","event_id":1,"source_name":"Microsoft-Windows-Sysmon","log_name":"Microsoft-Windows-Sysmon/Operational","event_data":{SYSMON_DATA}}}"#
    );
    let ecs_nested = r#"{"@timestamp":"2024-05-01T10:00:00.000Z","host":{"name":"ws1","os":{"family":"windows"}},"user":{"name":"bob","domain":"CORP"},"event":{"category":["process"],"type":["start"],"action":"start"},"process":{"pid":4242,"name":"cmd.exe","executable":"C:\\Windows\\System32\\cmd.exe","command_line":"cmd.exe /c schtasks /create /tn upd /tr evil.exe","args":["cmd.exe","/c","schtasks"],"parent":{"pid":10,"name":"WINWORD.EXE","command_line":"WINWORD.EXE /n"}}}"#;
    let ecs_dotted = r#"{"@timestamp":"2024-05-01T10:00:00.000Z","host.name":"ws1","user.name":"bob","process.name":"cmd.exe","process.command_line":"cmd.exe /c schtasks /create /tn upd /tr evil.exe","process.parent.name":"WINWORD.EXE","process.parent.command_line":"WINWORD.EXE /n"}"#;
    let splunk = r#"{"preview":false,"offset":0,"result":{"_time":"2024-05-01T10:00:00.000+00:00","host":"ws1","sourcetype":"XmlWinEventLog:Security","EventCode":"4688","SourceName":"Microsoft Windows security auditing.","SubjectUserName":"bob","New_Process_Name":"C:\\Windows\\System32\\cmd.exe","Process_Command_Line":"cmd.exe /c schtasks /create /tn upd /tr evil.exe","Creator_Process_Name":"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE","ParentCommandLine":"WINWORD.EXE /n"}}"#;
    let splunk_raw_json = format!(
        r#"{{"preview":false,"result":{{"_time":"2024-05-01T10:00:00.000+00:00","host":"collector","sourcetype":"winlogbeat","_raw":{}}}}}"#,
        serde_json::to_string(&winlogbeat7).expect("string")
    );
    let evtx_dump = format!(
        "Record 1\n{{\n  \"Event\": {{\n    \"#attributes\": {{\"xmlns\": \"http://schemas.microsoft.com/win/2004/08/events/event\"}},\n    \"System\": {{\n      \"Provider\": {{\"#attributes\": {{\"Name\": \"Microsoft-Windows-Sysmon\"}}}},\n      \"EventID\": 1,\n      \"TimeCreated\": {{\"#attributes\": {{\"SystemTime\": \"2024-05-01T10:00:00.5Z\"}}}},\n      \"Computer\": \"ws1\"\n    }},\n    \"EventData\": {SYSMON_DATA}\n  }}\n}}\nRecord 2\n{{\"Event\":{{\"System\":{{\"Provider\":{{\"#attributes\":{{\"Name\":\"Microsoft-Windows-Security-Auditing\"}}}},\"EventID\":4689,\"Computer\":\"ws1\"}},\"EventData\":{{\"SubjectUserName\":\"bob\"}}}}}}\n"
    );
    vec![
        (
            "winlogbeat 7 (winlog.event_data, event.code)",
            format!("{winlogbeat7}\n{winlogbeat7_net}\n"),
            vec![
                (pc.clone(), expected_event("ws1.corp.local", "bob")),
                (
                    RecordClass::Other("Sysmon event 3".into()),
                    expected_event("ws1.corp.local", "bob"),
                ),
            ],
        ),
        (
            "winlogbeat 6 (event_data, source_name)",
            winlogbeat6,
            vec![(pc.clone(), expected_event("ws1", "bob"))],
        ),
        (
            "Elastic ECS, nested objects",
            ecs_nested.into(),
            vec![(pc.clone(), expected_event("ws1", "bob"))],
        ),
        (
            "Elastic ECS, dotted keys",
            ecs_dotted.into(),
            vec![(pc.clone(), expected_event("ws1", "bob"))],
        ),
        (
            "Splunk export, result wrapper, 4688 add-on fields",
            splunk.into(),
            vec![(pc.clone(), expected_event("ws1", "bob"))],
        ),
        (
            "Splunk export, result._raw holding a winlogbeat event",
            splunk_raw_json,
            // `host.name` from `_raw` outranks Splunk's `host` (the forwarder) in FIELD_MAP.
            vec![(pc.clone(), expected_event("ws1.corp.local", "bob"))],
        ),
        (
            "evtx_dump JSON, Record N separators",
            evtx_dump,
            vec![
                (pc.clone(), expected_event("ws1", "bob")),
                (
                    RecordClass::Other("Security event 4689".into()),
                    ProcessEvent {
                        device_name: "ws1".into(),
                        account_name: "bob".into(),
                        ..ProcessEvent::default()
                    },
                ),
            ],
        ),
        (
            "top-level array, pretty-printed",
            format!("[\n  {DEFENDER_OTHER},\n  {DEFENDER_ROW}\n]\n"),
            vec![
                (file_created.clone(), defender_other.clone()),
                (pc.clone(), defender.clone()),
            ],
        ),
        (
            "Defender advanced-hunting API (Schema, Results)",
            format!(
                r#"{{"Schema":[{{"Name":"Timestamp","Type":"DateTime"}},{{"Name":"FileName","Type":"String"}}],"Results":[{DEFENDER_ROW},{DEFENDER_OTHER}]}}"#
            ),
            vec![
                (pc.clone(), defender.clone()),
                (file_created.clone(), defender_other.clone()),
            ],
        ),
        (
            "Graph runHuntingQuery (schema, results)",
            format!(
                r#"{{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults","schema":[{{"name":"Timestamp","type":"DateTime"}}],"results":[{DEFENDER_ROW}]}}"#
            ),
            vec![(pc.clone(), defender.clone())],
        ),
        (
            "Azure diagnostic / Event Hub records with properties",
            format!(
                r#"{{"records":[{{"time":"2024-05-01T10:00:01Z","tenantId":"t","operationName":"Publish","category":"AdvancedHunting-DeviceProcessEvents","properties":{DEFENDER_ROW}}}]}}"#
            ),
            vec![(pc.clone(), defender.clone())],
        ),
        (
            "Log Analytics API tables",
            format!(
                r#"{{"tables":[{{"name":"PrimaryResult","columns":{columns},"rows":[{row_other},{row}]}}]}}"#
            ),
            vec![
                (file_created.clone(), defender_other.clone()),
                (pc.clone(), defender.clone()),
            ],
        ),
        (
            "Log Analytics tables, rows before columns",
            format!(
                r#"{{"tables":[{{"rows":[{row},{row_other}],"name":"PrimaryResult","columns":{columns}}}]}}"#
            ),
            vec![
                (pc.clone(), defender.clone()),
                (file_created.clone(), defender_other.clone()),
            ],
        ),
        (
            "older Kusto v1 Tables / Columns / ColumnName / Rows",
            format!(
                r#"{{"Tables":[{{"TableName":"Table_0","Columns":{},"Rows":[{row}]}}]}}"#,
                columns
                    .replace("\"name\"", "\"ColumnName\"")
                    .replace("\"type\"", "\"DataType\"")
            ),
            vec![(pc.clone(), defender.clone())],
        ),
    ]
}

#[test]
fn every_export_shape_maps_to_the_same_event_at_any_chunking() {
    for (name, text, expected) in shapes() {
        let (items, end) = decode(text.as_bytes(), text.len());
        assert_eq!(end, Ok(()), "{name}");
        assert_eq!(skips(&items), Vec::<&Skip>::new(), "{name}");
        let got: Vec<(RecordClass, ProcessEvent)> = events(&items)
            .into_iter()
            .map(|(c, e, _)| (c.clone(), e.clone()))
            .collect();
        assert_eq!(got, expected, "{name}");
        for chunk in [1, 2, 7, 64] {
            assert_eq!(
                decode(text.as_bytes(), chunk),
                (items.clone(), Ok(())),
                "{name} @{chunk}"
            );
        }
        // The whole scan flags Word starting schtasks, in every shape.
        let (summary, rows) = scan(text.as_bytes(), 5);
        let creations = expected
            .iter()
            .filter(|(c, _)| *c == RecordClass::ProcessCreation);
        assert_eq!(summary.flagged, creations.count() as u64, "{name}");
        assert!(
            rows.iter()
                .all(|r| r.verdict.flags.scheduled_task() && r.verdict.flags.suspicious_parent()),
            "{name}"
        );
    }
}

#[test]
fn nested_fields_keep_source_order_and_dotted_names() {
    let text = r#"{"z":1,"a":{"y":true,"b":null,"n":1.5,"e":{}},"arr":[{"k":"v"},2],"m":"x"}"#;
    let (items, end) = decode(text.as_bytes(), 3);
    assert_eq!(end, Ok(()));
    let (_, _, fields) = events(&items)[0];
    let expected: Vec<(String, String)> = [
        ("z", "1"),
        ("a.y", "true"),
        ("a.b", ""),
        ("a.n", "1.5"),
        ("a.e", "{}"),
        ("arr", r#"[{"k":"v"},2]"#),
        ("m", "x"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    assert_eq!(fields, expected.as_slice());
}
