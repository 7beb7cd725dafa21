//! The station: an opened data directory (database and key files) that stateful operations act on.

use std::path::Path;

use strongroom_store::Store;

use crate::OpsError;

/// An opened Strongroom data directory.
#[derive(Debug)]
pub struct Station {
    pub(crate) store: Store,
}

impl Station {
    /// Opens (creating and migrating if needed) the station at `home`.
    pub fn open(home: &Path) -> Result<Self, OpsError> {
        Ok(Station {
            store: Store::open(home)?,
        })
    }

    pub fn home(&self) -> &Path {
        self.store.home()
    }
}
