import Foundation

/// Stores the chunks of one stream while it is still being cut: up to `width` chunks are
/// hashed, compressed and put at once, so one big table keeps every core busy, and memory is
/// `width` chunks whatever the stream's size. The results come back in content order.
final class ChunkStoring: @unchecked Sendable {
    private let condition = NSCondition()
    private let width: Int
    private let storeChunk: @Sendable (Data) throws -> ObjectTransfer.Stored
    private var submitted = 0
    private var inFlight = 0
    private var results: [Int: ObjectTransfer.Stored] = [:]
    private var failure: Error?

    init(width: Int, storeChunk: @escaping @Sendable (Data) throws -> ObjectTransfer.Stored) {
        self.width = max(1, width)
        self.storeChunk = storeChunk
    }

    /// Hands one chunk over, waiting while `width` are in flight; throws the first failure of any.
    func submit(_ chunk: Data) throws {
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
        guard width > 1 else { return complete(index, Result { try storeChunk(chunk) }) }
        let thread = Thread { [self] in complete(index, Result { try storeChunk(chunk) }) }
        thread.stackSize = 1 << 20
        thread.start()
    }

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
