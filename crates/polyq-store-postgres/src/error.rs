//! Database errors as the core sees them: a database that cannot be reached (or is shutting
//! down, or refuses connections) is `Unavailable`, which dialects answer with a 5xx that
//! clients retry; anything else the database reports is `Storage`.

use polyq_core::CoreError;
use tokio_postgres::error::SqlState;

pub(crate) fn db(e: tokio_postgres::Error) -> CoreError {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection broke, timed out or could not be opened.
        return CoreError::Unavailable(format!("postgres: {}", chain(&e)));
    };
    let class = &code.code()[..2];
    let transient = matches!(class, "08" | "53" | "57")
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION;
    let text = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string());
    if transient {
        CoreError::Unavailable(format!("postgres {}: {text}", code.code()))
    } else {
        CoreError::Storage(format!("postgres {}: {text}", code.code()))
    }
}

pub(crate) fn pool(e: deadpool_postgres::PoolError) -> CoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => db(e),
        other => CoreError::Unavailable(format!("postgres pool: {other}")),
    }
}

pub(crate) fn corrupt(what: &str) -> CoreError {
    CoreError::Storage(format!("postgres: stored {what} cannot be read"))
}

/// `e` and its causes ("error connecting to server: Connection refused (os error 111)").
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
