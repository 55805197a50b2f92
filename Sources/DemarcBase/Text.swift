extension String {
    /// The first `n` characters, as `String(prefix(n))` gives them, without walking the
    /// characters when the text cannot be longer (no more UTF-8 bytes than `n`): the
    /// usual case, and counting characters costs a grapheme-break check each.
    public func prefix(characters n: Int) -> String {
        utf8.count <= n ? self : String(prefix(n))
    }
}

extension String {
    /// The text with every character a terminal or a renderer would act on written out
    /// as an escape instead: C0 controls (`\x1b`), DEL, C1 controls (`\x9b`) and the
    /// bidirectional overrides and isolates (`\u{202e}`), which reorder what is shown.
    /// Text from the wire or from a file name goes through this before it reaches a
    /// human format or standard error. With `keepingLineBreaks`, line feeds and tabs
    /// stay (a message of several lines). Text with nothing to escape is returned as it is.
    public func visible(keepingLineBreaks: Bool = false) -> String {
        // Most text has none of these: bytes below 0x20, DEL, and the lead bytes of C1
        // (0xc2) and of the bidirectional controls (0xe2) are its only way in.
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == 0xc2 || $0 == 0xe2 }),
              unicodeScalars.contains(where: { String.needsEscape($0, keepingLineBreaks) }) else { return self }
        var o = ""
        o.reserveCapacity(utf8.count + 8)
        for u in unicodeScalars {
            guard String.needsEscape(u, keepingLineBreaks) else { o.unicodeScalars.append(u); continue }
            let hex = String(u.value, radix: 16)
            o += u.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{" + hex + "}"
        }
        return o
    }

    @inline(__always)
    static func needsEscape(_ u: Unicode.Scalar, _ keepingLineBreaks: Bool) -> Bool {
        switch u.value {
        case 0x0a, 0x09: return !keepingLineBreaks
        case 0x00...0x1f, 0x7f...0x9f, 0x202a...0x202e, 0x2066...0x2069: return true
        default: return false
        }
    }
}
