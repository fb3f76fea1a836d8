//! Git write-back: commit, sign, push, retry on a moved remote.
//! (Being built for issue 7.)
