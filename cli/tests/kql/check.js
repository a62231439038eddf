// Parse and analyze KQL files with Microsoft's Kusto.Language (its JavaScript
// build, npm @kusto/language-service-next) against the DeviceProcessEvents
// columns the rule uses. Prints every diagnostic and "FILE: N diagnostics, M
// errors" per file; exits 1 when any file has an error. Used by
// cli/tests/kql_syntax.rs (NODE_PATH points at the installed package).
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const fs = require('fs');
const K = Kusto.Language;
const table = new K.Symbols.TableSymbol.$ctor7(
  'DeviceProcessEvents',
  '(Timestamp:datetime, DeviceName:string, AccountName:string, FileName:string, ' +
    'ProcessCommandLine:string, InitiatingProcessFileName:string, InitiatingProcessCommandLine:string)',
  ''
);
const db = new K.Symbols.DatabaseSymbol.$ctor1('db', [table], false);
const globals = K.GlobalState.Default.WithDatabase(db);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const code = K.KustoCode.ParseAndAnalyze(fs.readFileSync(file, 'utf8'), globals);
  const diagnostics = [];
  System.Linq.Enumerable.from(code.GetDiagnostics()).forEach((d) => diagnostics.push(d));
  let errors = 0;
  for (const d of diagnostics) {
    console.log(`${file}: ${d.Severity} at ${d.Start}: ${d.Message}`);
    if (d.Severity === 'Error') errors++;
  }
  console.log(`${file}: ${diagnostics.length} diagnostics, ${errors} errors`);
  bad += errors;
}
process.exit(bad ? 1 : 0);
