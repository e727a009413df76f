import Foundation

/// The estimate of the time left: the share of the key range walked so far by this run,
/// against the time it took. Integer keys measure the share by key value; uuid and text keys
/// by keys walked, against a count of the keys left made when the run starts.
struct ProgressEstimate {
    private var walkedShare: Double = 0
    private let integerRange: (from: Double, to: Double)?
    private let keysLeft: Int64
    private var keysWalked: Int64 = 0

    init(walk: KeyWalk, after done: String?, in session: SQLSession) throws {
        guard let last = walk.last else {
            integerRange = nil
            keysLeft = 0
            return
        }
        if walk.target.kind == .integer {
            let first = try walk.batch(after: done, in: session).flatMap { Double($0.start) } ?? 0
            integerRange = (first, (Double(last) ?? first) + 1)
            keysLeft = 0
        } else {
            integerRange = nil
            keysLeft = try walk.keysLeft(after: done, in: session)
        }
    }

    mutating func walked(_ bounds: BatchBounds, size: Int) {
        if let range = integerRange, let end = Double(bounds.end), range.to > range.from {
            walkedShare = (end - range.from) / (range.to - range.from)
        } else if keysLeft > 0 {
            keysWalked += Int64(size)
            walkedShare = bounds.isLast ? 1 : min(Double(keysWalked) / Double(keysLeft), 1)
        }
    }

    func secondsLeft(elapsed: Double) -> Double? {
        guard walkedShare > 0 else { return nil }
        return elapsed * (1 - walkedShare) / walkedShare
    }
}
