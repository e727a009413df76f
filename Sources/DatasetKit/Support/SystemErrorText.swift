import Foundation

/// Plain sentences for errors that come from Foundation or the system rather than from dpm,
/// so that no `Error Domain=… UserInfo={…}` dump ever reaches a user.
public enum SystemErrorText {
    /// "Cannot write /tmp/x: Read-only file system." for file errors; a short sentence for
    /// anything else.
    public static func sentence(for error: Error) -> String {
        let error = error as NSError
        let reason = reason(error)
        if error.domain == NSCocoaErrorDomain, let path = path(of: error) {
            return "Cannot \(action(forCocoaCode: error.code)) \(path): \(reason)."
        }
        return "dpm stopped on an unexpected system error: \(reason)."
    }

    /// What the system said, e.g. "Permission denied", without Foundation's wrapping.
    public static func reason(_ error: Error) -> String {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSCocoaErrorDomain, let known = cocoaReasons[error.code] { return known }
        return "\(error.domain) error \(error.code)"
    }

    private static func path(of error: NSError) -> String? {
        if let path = error.userInfo[NSFilePathErrorKey] as? String { return path }
        return (error.userInfo[NSURLErrorKey] as? URL)?.path
    }

    /// CocoaError codes: 256–260 reading, 512–642 writing; 4 (a missing file) can be either.
    private static func action(forCocoaCode code: Int) -> String {
        if (512...642).contains(code) { return "write" }
        return (256...260).contains(code) ? "read" : "open"
    }

    private static let cocoaReasons: [Int: String] = [
        4: "No such file or directory", 257: "Permission denied", 260: "No such file or directory",
        513: "Permission denied", 516: "File exists", 640: "No space left on device", 642: "Read-only file system",
    ]
}
