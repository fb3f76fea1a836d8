//! Byte edits: plan, verify and write the changes `apply` makes.
//! (Being built for issue 5.)
