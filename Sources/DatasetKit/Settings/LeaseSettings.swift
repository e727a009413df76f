import Foundation

/// How long upload leases and gc markers (`UploadLease`, `GCMarker`) stay alive without being
/// rewritten, and how often they are rewritten. Both are measured by the store's clock.
/// DPM_LEASE_STALE_SECONDS (default 900): a lease or running marker not rewritten for this long is dead.
/// DPM_LEASE_REFRESH_SECONDS (default 60, less than half the stale window): how often they are rewritten.
public struct LeaseSettings: Sendable, Equatable {
    public var staleSeconds: Double
    public var refreshSeconds: Double
    /// Why the settings were not used, for upload and gc to refuse with (nil when they are sound).
    public var problem: String?

    public static let defaultStaleSeconds = 900.0
    public static let defaultRefreshSeconds = 60.0

    public init(staleSeconds: Double = defaultStaleSeconds, refreshSeconds: Double = defaultRefreshSeconds) {
        self.staleSeconds = staleSeconds
        self.refreshSeconds = refreshSeconds
    }

    public init(environment: [String: String]) {
        self.init()
        var problems: [String] = []
        if let text = nonEmpty(environment["DPM_LEASE_STALE_SECONDS"]) {
            if let seconds = Self.seconds(text) { staleSeconds = seconds } else {
                problems.append("DPM_LEASE_STALE_SECONDS must be a positive number of seconds, not \"\(text)\"")
            }
        }
        if let text = nonEmpty(environment["DPM_LEASE_REFRESH_SECONDS"]) {
            if let seconds = Self.seconds(text) { refreshSeconds = seconds } else {
                problems.append("DPM_LEASE_REFRESH_SECONDS must be a positive number of seconds, not \"\(text)\"")
            }
        }
        if problems.isEmpty, refreshSeconds * 2 >= staleSeconds {
            problems.append("DPM_LEASE_REFRESH_SECONDS (\(Self.text(refreshSeconds))) must be less than half of DPM_LEASE_STALE_SECONDS (\(Self.text(staleSeconds)))")
        }
        if !problems.isEmpty { problem = problems.joined(separator: ", and ") + "." }
    }

    /// Refuses settings that could not be used, in one sentence.
    public func require() throws {
        if let problem { throw DPMError.invalidInput(problem) }
    }

    /// A lease is taken as lapsed when its rewrites were further apart than this: a gc may
    /// have found it stale meanwhile.
    public var lapseSeconds: Double { staleSeconds - refreshSeconds }

    private static func seconds(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite, value > 0 else { return nil }
        return value
    }

    static func text(_ seconds: Double) -> String { String(format: "%g", seconds) }
}
