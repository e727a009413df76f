import Foundation

/// How much of the objects `dpm verify` reads: none (sizes only), all (`--read-data`), or a
/// share picked at random (`--sample PCT`); the rest are checked by their stored size.
public enum VerifyReading: Sendable, Equatable {
    case sizes
    case all
    case sample(percent: Double)

    /// From the command's flags, with one sentence for what does not make sense.
    public static func parse(readData: Bool, sample: String?) throws -> VerifyReading {
        guard let sample else { return readData ? .all : .sizes }
        guard !readData else {
            throw DPMError.invalidInput("--read-data reads every object and --sample a share of them; give one of the two.")
        }
        let text = sample.hasSuffix("%") ? String(sample.dropLast()) : sample
        guard let percent = Double(text), percent.isFinite, percent > 0, percent <= 100 else {
            throw DPMError.invalidInput("--sample takes the share of objects to read in percent, more than 0 and at most 100 (like --sample 10), not \"\(sample)\".")
        }
        return .sample(percent: percent)
    }

    var name: String {
        switch self {
        case .sizes: "sizes"
        case .all: "read-data"
        case .sample: "sample"
        }
    }

    var percent: Double? {
        if case .sample(let percent) = self { return percent }
        return nil
    }
}

/// Which objects a verify run reads in full: every one of `--read-data`, or the share of
/// `--sample` (each object once, however many snapshots need it); in every mode also the
/// marked ones (a size cannot tell a flipped byte, nor that a marked copy was repaired) and
/// those whose stored size none of their records gives (a copy stored anew at another level
/// verifies; a truncated one does not). Missing objects are never read. Media indexes were
/// read already, for their lists of files.
enum ReadPlan {
    struct Choice: Equatable {
        /// Needs to read (`ObjectNeed.key`: the id of an object on its own), sorted.
        var read: [String]
        /// The ones among them whose stored size no record gives.
        var wrongSize: Set<String>
    }

    /// `pick(count, ids)` returns `count` of `ids` at random (injected, for tests).
    static func choose(_ needs: [ObjectNeed], stored: [String: StoreEntry], marked: Set<String>, reading: VerifyReading,
                       pick: ([String], Int) -> [String] = { ids, count in Array(ids.shuffled().prefix(count)) }) -> Choice {
        let present = needs.filter { !$0.isIndex && $0.isStored(in: stored) }
        var wrongSize = Set<String>()
        // An object in a pack has no stored size of its own: its pack is long enough (`isStored`).
        for need in present where need.packedAt == nil && !need.recordedSizes.isEmpty && !need.recordedSizes.contains(stored[need.id]!.size) {
            wrongSize.insert(need.key)
        }
        var read = wrongSize.union(present.filter { marked.contains($0.id) }.map(\.key))
        switch reading {
        case .sizes: break
        case .all: read.formUnion(present.map(\.key))
        case .sample(let percent):
            let keys = present.map(\.key)
            read.formUnion(pick(keys, sampleSize(of: keys.count, percent: percent)))
        }
        return Choice(read: read.sorted(), wrongSize: wrongSize)
    }

    /// The share, rounded up: a sample of a few objects reads at least one.
    static func sampleSize(of count: Int, percent: Double) -> Int {
        // To a millionth first, so that 30% of 10 is 3 and not 3.0000000000000004, rounded up to 4.
        let share = (Double(count) * percent / 100 * 1e6).rounded() / 1e6
        return min(count, Int(share.rounded(.up)))
    }
}
