import Foundation

/// Counts work done by many threads and hands a one-line rendering to `output`
/// at most ten times a second. With no output (stderr not a terminal) it only counts.
public final class ProgressMeter: @unchecked Sendable {
    public typealias Output = @Sendable (_ line: String, _ final: Bool) -> Void

    private let lock = NSLock()
    private let output: Output?
    private var phase = ""
    private var bytes: Int64 = 0
    private var totalBytes: Int64 = 0
    private var items = 0
    private var totalItems = 0
    private var started = Date()
    private var lastDraw = Date.distantPast

    public init(output: Output?) { self.output = output }

    public static let silent = ProgressMeter(output: nil)

    public func begin(_ phase: String, totalBytes: Int64 = 0, totalItems: Int = 0) {
        lock.withLock {
            self.phase = phase
            self.bytes = 0
            self.items = 0
            self.totalBytes = totalBytes
            self.totalItems = totalItems
            self.started = Date()
            self.lastDraw = .distantPast
        }
        draw(force: true)
    }

    public func advance(bytes delta: Int64 = 0, items done: Int = 0) {
        lock.withLock {
            bytes += delta
            items += done
        }
        draw(force: false)
    }

    /// Ends the current phase; the terminal line is cleared.
    public func end() {
        lock.withLock { phase = "" }
        guard let output else { return }
        output("", true)
    }

    private func draw(force: Bool) {
        guard let output else { return }
        let line: String? = lock.withLock {
            // Counting before any phase began (or after one ended) draws nothing: a line of
            // bare numbers tells the user nothing.
            guard !phase.isEmpty else { return nil }
            let now = Date()
            guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return nil }
            lastDraw = now
            let elapsed = max(now.timeIntervalSince(started), 0.001)
            var parts = [phase]
            if totalItems > 0 { parts.append("\(items)/\(totalItems)") }
            if totalBytes > 0 {
                parts.append("\(ByteCount.format(bytes))/\(ByteCount.format(totalBytes))")
            } else if bytes > 0 {
                parts.append(ByteCount.format(bytes))
            }
            if bytes > 0 { parts.append("\(ByteCount.format(Int64(Double(bytes) / elapsed)))/s") }
            return parts.joined(separator: "  ")
        }
        if let line { output(line, false) }
    }
}

public enum ByteCount {
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }
}
