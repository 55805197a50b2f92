#if canImport(Glibc)
import Glibc
#endif

/// Writing to standard error without touching C's shared `stderr` FILE.
public enum Console {
    public static func error(_ s: String) {
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
