#if canImport(Glibc)
import Glibc
#endif

/// Writing to standard error without touching C's shared `stderr` FILE.
public enum Console {
    /// A message on standard error. Control characters in it (from a file name or from
    /// traffic) are written as escapes, so nothing it quotes can act on the terminal;
    /// line breaks and tabs stay.
    public static func error(_ s: String) {
        emit(s.visible(keepingLineBreaks: true))
    }

    /// A status line that replaces the one before it on a terminal (carriage return,
    /// erase to the end of the line), its text escaped as `error`'s.
    public static func status(_ s: String) {
        emit("\r\u{1b}[K" + s.visible())
    }

    /// Erases the status line.
    public static func clearStatus() {
        emit("\r\u{1b}[K")
    }

    private static func emit(_ s: String) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
        bytes.removeAll()
    }
}

/// A C string buffer's text.
package func cText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
