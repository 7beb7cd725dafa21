//! The station: an opened data directory (database and key files) that stateful operations act on.

use std::path::Path;

use strongroom_store::Store;

use crate::OpsError;

/// An opened Strongroom data directory.
#[derive(Debug)]
pub struct Station {
    pub(crate) store: Store,
    /// Who acts, as recorded in the audit log. Until operator accounts exist this is the name
    /// the caller gives (`--operator`, or the login name): recorded, not authenticated.
    pub(crate) operator: String,
}

impl Station {
    /// Opens (creating and migrating if needed) the station at `home`.
    pub fn open(home: &Path) -> Result<Self, OpsError> {
        Ok(Station {
            store: Store::open(home)?,
            operator: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        })
    }

    /// Sets the operator name recorded in the audit log.
    pub fn set_operator(&mut self, name: &str) {
        self.operator = name.to_owned();
    }

    pub fn home(&self) -> &Path {
        self.store.home()
    }
}
