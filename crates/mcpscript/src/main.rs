//! mcpscript binary.
fn main() {}
