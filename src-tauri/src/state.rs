//! The app's state: the data directory, the logged-in station and the last verification
//! report (for "save report"). Secrets are never kept here.

use std::path::PathBuf;
use std::sync::Mutex;

use strongroom_ops::release::BundleReport;
use strongroom_ops::{OpsError, Station};

use crate::ipc::IpcError;

/// How long the app's writes wait for another Strongroom process before saying it is busy.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

pub struct AppState {
    pub home: PathBuf,
    /// Opened on first use; replaced by a logged-in one at login.
    station: Mutex<Option<Station>>,
    /// Forgotten at login and logout.
    last_report: Mutex<Option<BundleReport>>,
}

impl AppState {
    pub fn new(home: PathBuf) -> Self {
        AppState {
            home,
            station: Mutex::new(None),
            last_report: Mutex::new(None),
        }
    }

    /// Opens the station as the app uses it: a write that waits for another process gives up
    /// after [`BUSY_WAIT`] with a message that says so, instead of freezing the window.
    pub fn open(&self) -> Result<Station, OpsError> {
        let mut station = Station::open(&self.home)?;
        station.set_busy_timeout(BUSY_WAIT)?;
        Ok(station)
    }

    /// Runs a short operation on the session's station (on a command thread, not the window's).
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Station) -> Result<T, OpsError>,
    ) -> Result<T, IpcError> {
        let mut guard = self.station.lock().map_err(IpcError::internal)?;
        if guard.is_none() {
            *guard = Some(self.open()?);
        }
        Ok(f(guard.as_mut().expect("opened above"))?)
    }

    /// A second handle on the station with the same login, for long work on a worker thread
    /// while the window keeps using the first.
    pub fn fork(&self) -> Result<Station, IpcError> {
        self.with(|s| s.reopen())
    }

    /// Runs long work (hashing, SBOMs, scans, signing, verifying) on a blocking worker thread;
    /// a PKCS#11 session it opens lives and ends on that thread.
    pub async fn work<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Station) -> Result<T, OpsError> + Send + 'static,
    ) -> Result<T, IpcError> {
        let station = self.fork()?;
        tauri::async_runtime::spawn_blocking(move || f(&station))
            .await
            .map_err(IpcError::internal)?
            .map_err(IpcError::from)
    }

    /// Replaces the session's station (login, logout), forgetting the last report.
    pub fn replace(&self, station: Station) -> Result<(), IpcError> {
        *self.station.lock().map_err(IpcError::internal)? = Some(station);
        *self.last_report.lock().map_err(IpcError::internal)? = None;
        Ok(())
    }

    /// Keeps the report of the verification just made, for "Save report".
    pub fn keep_report(&self, report: BundleReport) -> Result<(), IpcError> {
        *self.last_report.lock().map_err(IpcError::internal)? = Some(report);
        Ok(())
    }

    pub fn last_report(&self) -> Result<Option<BundleReport>, IpcError> {
        Ok(self.last_report.lock().map_err(IpcError::internal)?.clone())
    }
}
