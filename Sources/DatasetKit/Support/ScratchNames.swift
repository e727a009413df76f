import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Names of scratch files and folders that carry the id of the process that made them, so
/// that what a killed dpm left can be told from what a running one is using.
public enum ScratchNames {
    /// `dpm-<label>-<pid>-<8 hex>`, e.g. a pg_dump folder in TMPDIR.
    public static func make(_ label: String) -> String { "\(prefix(label))-\(randomSuffix())" }

    /// `dpm-<label>-<pid>`: what `make` puts before the random part.
    public static func prefix(_ label: String) -> String { "dpm-\(label)-\(getpid())" }

    /// `<pid>-<16 hex>`, a partial object in a `.tmp` folder.
    public static func partial() -> String { "\(getpid())-\(randomSuffix(16))" }

    /// The owner of a name `make` made (any extension after a dot allowed).
    public static func owner(ofScratch name: String) -> Int32? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "dpm", !parts[1].isEmpty, parts[1].allSatisfy({ $0.isLetter && $0.isASCII }),
              let pid = Int32(parts[2]), pid > 0 else { return nil }
        let random = parts[3].split(separator: ".", maxSplits: 1).first ?? ""
        return random.count == 8 && random.allSatisfy(\.isHexDigit) ? pid : nil
    }

    /// The owner of a name `partial` made.
    public static func owner(ofPartial name: String) -> Int32? {
        let parts = name.split(separator: "-")
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, parts[1].count == 16, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return pid
    }

    /// Names older dpm versions made, without an owner: `dpm-upload-1a2b3c4d`, `dpm-tool-…`,
    /// `dpm-command-….log`, or 16 hex digits in a `.tmp` folder.
    public static func isUnownedScratch(_ name: String) -> Bool {
        name.range(of: "^dpm-(upload|restore|tool|command)-[0-9a-f]{8}(\\.log)?$", options: .regularExpression) != nil
    }

    public static func isUnownedPartial(_ name: String) -> Bool {
        name.count == 16 && name.allSatisfy(\.isHexDigit)
    }

    /// Whether `pid` may be a running dpm: any live process counts, whatever its name, since
    /// dpm may be installed or started under another name (`dpm-0.2`, a build folder's copy).
    /// A pid that another program reused only keeps a leftover until that program ends.
    public static func isRunningDPM(_ pid: Int32) -> Bool {
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether any dpm but this one runs on this machine: what an older dpm made carries no
    /// owner, and is known to be left over only when no other dpm runs.
    public static func otherDPMRunning() -> Bool {
        let me = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me else { continue }
            if processName(pid) == processName(me) { return true }
        }
        return false
    }

    private static func processName(_ pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/comm") else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
