//! Registry tag source: the OCI distribution API behind [`crate::resolve::TagSource`].
//! (Being built for issue 4.)
