//! Fetching Amazon pages. (Stub: being written.)
