import Foundation

/// Downloads the chunks of one artifact into the download cache a few chunks ahead of the
/// reader, so that a restore from S3 waits on the network and on COPY at the same time
/// instead of in turn. Best effort: a chunk whose download failed is simply read again by the
/// reader, which then reports its own error; what was downloaded is verified and admitted to
/// the cache as any download is.
final class ChunkPrefetch: @unchecked Sendable {
    private let condition = NSCondition()
    /// Per chunk: the object to download, or nil when there is none (cached, or a patch).
    private let ids: [String?]
    private let window: Int
    private let fetch: @Sendable (String) -> Void
    private var next = 0
    private var reading = 0
    private var finished = Set<Int>()
    private var stopped = false

    init(ids: [String?], window: Int = 4, workers: Int = 2, fetch: @escaping @Sendable (String) -> Void) {
        self.ids = ids
        self.window = window
        self.fetch = fetch
        guard ids.contains(where: { $0 != nil }) else {
            stopped = true
            return
        }
        for _ in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while !stopped, next < ids.count, next >= reading + window { condition.wait() }
            guard !stopped, next < ids.count else {
                condition.unlock()
                return
            }
            let index = next
            next += 1
            condition.unlock()
            if let id = ids[index] { fetch(id) }
            condition.withLock {
                finished.insert(index)
                condition.broadcast()
            }
        }
    }

    /// Waits until chunk `index` is downloaded (or given up on), letting the downloads move on.
    /// One no download has started yet is the reader's own: the downloads go on after it.
    func wait(for index: Int) {
        condition.lock()
        defer { condition.unlock() }
        reading = index
        condition.broadcast()
        if next <= index {
            next = index + 1
            return
        }
        while !stopped, ids.indices.contains(index), ids[index] != nil, !finished.contains(index) {
            condition.wait()
        }
    }

    /// No more downloads start; one under way finishes into the cache.
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }
}
