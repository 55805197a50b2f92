#if canImport(Glibc)
import Glibc
#endif

/// The shards' threads: one per shard, started together and joined together.
struct WorkerThreads {
    private var threads: [pthread_t] = []

    /// Runs `body(i)` for each `i` in `0..<count`, each on a thread of its own. A thread
    /// that cannot be made runs its body here (still correct, not parallel). Each body
    /// touches only its own shard's state and what the hub locks.
    init(count: Int, _ body: @escaping (Int) -> Void) {
        for i in 0..<count {
            var t = pthread_t()
            let box = Unmanaged.passRetained(Box { body(i) }).toOpaque()
            let rc = pthread_create(&t, nil, { arg in
                Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, box)
            if rc != 0 {
                Unmanaged<Box>.fromOpaque(box).release()
                body(i)
            } else {
                threads.append(t)
            }
        }
    }

    func join() {
        for t in threads { pthread_join(t, nil) }
    }

    private final class Box: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
