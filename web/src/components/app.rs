//! The page: layout, the shared store, and the effect that keeps workers in
//! line with the state.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::bridge::{JobStart, Workers};
use crate::state::{Action, AppState};

use super::charts::Charts;
use super::detail::Detail;
use super::drop_zone::DropZone;
use super::file_list::FileList;
use super::mode_switch::ModeSwitch;
use super::results_table::ResultsTable;
use super::rule_panel::RulePanel;
use super::summary::Summary;
use super::toolbar::Toolbar;
use super::tuning_panel::{initial_config, TuningPanel};
use super::validation_panel::ValidationPanel;
use crate::browser;
use crate::tuning::STORAGE_KEY;

/// The reducer's state: the [`AppState`] behind a shared cell (so streaming
/// 100,000 rows never clones them) and a version that changes on every action.
pub struct Store {
    /// The state.
    pub state: Rc<RefCell<AppState>>,
    /// Bumped by every action (what Yew compares).
    pub version: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            state: Rc::new(RefCell::new(AppState::default())),
            version: 0,
        }
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.state, &other.state)
    }
}

impl Reducible for Store {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        self.state.borrow_mut().apply(action);
        Rc::new(Store {
            state: self.state.clone(),
            version: self.version + 1,
        })
    }
}

/// What every component gets from context.
#[derive(Clone)]
pub struct Ctx {
    /// The store.
    pub store: UseReducerHandle<Store>,
    /// File handles and workers.
    pub workers: Rc<RefCell<Workers>>,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        self.store == other.store && Rc::ptr_eq(&self.workers, &other.workers)
    }
}

impl Ctx {
    /// Send an action.
    pub fn dispatch(&self, action: Action) {
        self.store.dispatch(action);
    }

    /// Read the state (never hold this across a dispatch).
    pub fn state(&self) -> std::cell::Ref<'_, AppState> {
        self.store.state.borrow()
    }
}

/// The page's props: nothing on the real page; a state to start from for
/// the start-up rehearsal ([`crate::rehearsal`]), rendered off-document.
#[derive(Properties, Clone, Default)]
pub struct AppProps {
    /// The state to show instead of an empty one.
    #[prop_or_default]
    pub state: Option<Rc<RefCell<AppState>>>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        match (&self.state, &other.state) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}

/// The whole page.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let initial = props.state.clone();
    let store = use_reducer(move || match initial {
        Some(state) => Store { state, version: 0 },
        None => Store::default(),
    });
    let workers = use_mut_ref(Workers::default);
    {
        let workers = workers.clone();
        let dispatcher = store.dispatcher();
        let state = store.state.clone();
        use_effect_with(store.version, move |_| {
            let (live, to_start) = {
                let st = state.borrow();
                (st.live_jobs(), JobStart::pending(&st))
            };
            let dispatch: Rc<dyn Fn(Action)> = Rc::new(move |a| dispatcher.dispatch(a));
            workers.borrow_mut().sync(&live, &to_start, &dispatch);
        });
    }
    // The config: from a #config= link or localStorage, once; stored
    // again whenever it changes (after the first load).
    {
        let dispatcher = store.dispatcher();
        let real_page = props.state.is_none();
        use_effect_with((), move |_| {
            if real_page {
                match initial_config() {
                    Some(Ok(config)) => {
                        dispatcher.dispatch(Action::SetConfig(Box::new(config), browser::now_ms()))
                    }
                    Some(Err(e)) => dispatcher.dispatch(Action::ConfigError(Some(e))),
                    None => {}
                }
            }
        });
    }
    {
        let state = store.state.clone();
        let version = store.state.borrow().config_version;
        let real_page = props.state.is_none();
        use_effect_with(version, move |&version| {
            if real_page && version > 0 {
                let json = state.borrow().config.to_json();
                if let Err(e) = browser::storage_set(STORAGE_KEY, &json) {
                    web_sys::console::warn_1(&e);
                }
            }
        });
    }
    let ctx = Ctx { store, workers };
    let (has_files, view) = {
        let state = ctx.state();
        (!state.files.is_empty(), state.view_version)
    };
    html! {
        <ContextProvider<Ctx> context={ctx.clone()}>
            <header class="top">
                <h1>{ "cmdhunt" }</h1>
                <p class="tagline">
                    { "Windows command shell (T1059.003) hunting over your exports, entirely in this page: files are read locally and nothing is sent anywhere." }
                </p>
            </header>
            <main>
                <DropZone />
                if has_files {
                    <FileList />
                    <Summary />
                }
                <ModeSwitch />
                <Toolbar />
                <Charts />
                <div class="results-area">
                    <ResultsTable ctx={ctx.clone()} {view} />
                    <Detail />
                </div>
                <TuningPanel />
                <ValidationPanel />
                <RulePanel />
            </main>
        </ContextProvider<Ctx>>
    }
}
