import Foundation

/// Stores chunks while their streams are still being cut: up to `width` chunks are hashed,
/// compressed and put at once, so one big table (or a stream of small ones) keeps every core
/// busy, and memory is `width` chunks whatever the size. Each chunk gets the next index, and
/// the results come back in that order.
final class ChunkStoring: @unchecked Sendable {
    private let condition = NSCondition()
    private let width: Int
    private let storeChunk: @Sendable (Data, Bool, ChunkHint?) throws -> ObjectTransfer.Stored
    private var submitted = 0
    private var inFlight = 0
    private var results: [Int: ObjectTransfer.Stored] = [:]
    private var failure: Error?

    /// `storeChunk` gets each chunk, whether it is a whole content (its stream's only chunk),
    /// and what the cutter knows of it (`ChunkHint`).
    init(width: Int, storeChunk: @escaping @Sendable (Data, Bool, ChunkHint?) throws -> ObjectTransfer.Stored) {
        self.width = max(1, width)
        self.storeChunk = storeChunk
    }

    /// Hands one chunk over, waiting while `width` are in flight; throws the first failure of any.
    /// Returns the chunk's index. `whole`: the chunk is all of its stream's content.
    @discardableResult
    func submit(_ chunk: Data, whole: Bool = false, hint: ChunkHint? = nil) throws -> Int {
        condition.lock()
        while inFlight >= width, failure == nil { condition.wait() }
        if let failure {
            condition.unlock()
            throw failure
        }
        let index = submitted
        submitted += 1
        inFlight += 1
        condition.unlock()
        guard width > 1 else {
            complete(index, Result { try storeChunk(chunk, whole, hint) })
            if let failure = condition.withLock({ failure }) { throw failure }
            return index
        }
        let thread = Thread { [self] in complete(index, Result { try storeChunk(chunk, whole, hint) }) }
        thread.stackSize = 1 << 20
        thread.start()
        return index
    }

    /// How many chunks have been handed over: the index the next one gets.
    var count: Int { condition.withLock { submitted } }

    private func complete(_ index: Int, _ result: Result<ObjectTransfer.Stored, Error>) {
        condition.lock()
        inFlight -= 1
        switch result {
        case .success(let stored): results[index] = stored
        case .failure(let error): if failure == nil { failure = error }
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for every chunk handed over; their results in content order, or the first failure.
    func finish() throws -> [ObjectTransfer.Stored] {
        condition.lock()
        defer { condition.unlock() }
        while inFlight > 0 { condition.wait() }
        if let failure { throw failure }
        return (0..<submitted).map { results[$0]! }
    }
}
