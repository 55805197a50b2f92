extension String {
    /// The first `n` characters, as `String(prefix(n))` gives them, without walking the
    /// characters when the text cannot be longer (no more UTF-8 bytes than `n`): the
    /// usual case, and counting characters costs a grapheme-break check each.
    public func prefix(characters n: Int) -> String {
        utf8.count <= n ? self : String(prefix(n))
    }
}
