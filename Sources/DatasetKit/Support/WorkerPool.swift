import Foundation

/// Runs `body` over `items` on up to `width` threads (the caller's among them), in order of
/// hand-out. The first error stops the hand-out of further items and is rethrown once the
/// running ones finish. Real threads, not a dispatch pool: network transfers need more of
/// them in flight than there are cores.
public func concurrentForEach<Item: Sendable>(
    _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) throws -> Void
) throws {
    guard !items.isEmpty else { return }
    let state = PoolState()
    let work: @Sendable () -> Void = {
        while let index = state.nextIndex(limit: items.count) {
            do {
                try body(items[index])
            } catch {
                state.fail(error)
            }
        }
    }
    let helpers = max(1, min(width, items.count)) - 1
    let finished = DispatchSemaphore(value: 0)
    for _ in 0..<helpers {
        let thread = Thread {
            work()
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    work()
    for _ in 0..<helpers { finished.wait() }
    if let error = state.firstError { throw error }
}

private final class PoolState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var error: Error?

    func nextIndex(limit: Int) -> Int? {
        lock.withLock {
            guard error == nil, next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func fail(_ failure: Error) {
        lock.withLock { if error == nil { error = failure } }
    }

    var firstError: Error? { lock.withLock { error } }
}
