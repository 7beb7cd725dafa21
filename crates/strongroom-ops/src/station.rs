//! The station: an opened data directory (database and key files) that stateful operations act
//! on, and who is logged in to it (see `operators.rs`).

use std::path::Path;

use strongroom_store::Store;

use crate::OpsError;

/// An opened Strongroom data directory.
#[derive(Debug)]
pub struct Station {
    pub(crate) store: Store,
    /// Who acts, as recorded in the audit log: after [`Station::login`] the authenticated
    /// operator; before it, the name the caller gave (recorded with refusals, not trusted).
    pub(crate) operator: String,
    /// The logged-in operator's roles; `None` until a successful login.
    pub(crate) session: Option<crate::operators::Session>,
}

impl Station {
    /// Opens (creating and migrating if needed) the station at `home`.
    pub fn open(home: &Path) -> Result<Self, OpsError> {
        Ok(Station {
            store: Store::open(home)?,
            operator: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            session: None,
        })
    }

    /// Sets the (unauthenticated) name recorded before a login, for example with a refusal.
    /// It ends any login: roles come only from [`Station::login`].
    pub fn set_operator(&mut self, name: &str) {
        self.operator = name.to_owned();
        self.session = None;
    }

    /// The data directory used when none is given (`~/.local/share/strongroom` on Linux). The
    /// CLI and the app both default to it; `STRONGROOM_HOME` overrides it in both.
    pub fn default_home() -> Option<std::path::PathBuf> {
        directories::ProjectDirs::from("", "", "strongroom").map(|d| d.data_dir().to_owned())
    }

    pub fn home(&self) -> &Path {
        self.store.home()
    }
}
