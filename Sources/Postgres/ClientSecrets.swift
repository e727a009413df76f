import DatasetKit
import Foundation

/// The connection secrets besides the password (sslpassword, ...) for a client tool. libpq
/// reads no environment variable for them and argv is readable by every user, so they go in
/// a service file of mode 0600, in a folder of mode 0700, named by PGSERVICEFILE, with
/// `service=` on the tool's connection string; it is removed when the tool has finished.
struct ClientSecrets {
    static let service = "dpm"
    let path: String
    private let folder: String

    /// Nil when `secrets` is empty: nothing to pass.
    init?(_ secrets: [String: String], directory: String = NSTemporaryDirectory()) throws {
        guard !secrets.isEmpty else { return nil }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var template = Array("\(base)/dpm-secrets-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw DPMError.systemCall("Cannot create a private folder in \(base) for the connection's secrets")
        }
        folder = String(cString: created)
        path = "\(folder)/pg_service.conf"
        // libpq takes the rest of a `key=value` line verbatim (ConnectionSettings refuses values it would change).
        let text = "[\(Self.service)]\n" + secrets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        do {
            let writer = try FileWriter(path: path, exclusive: true, mode: 0o600, durable: false)
            try Data(text.utf8).withUnsafeBytes { try writer.write($0) }
            try writer.finish()
        } catch {
            unlink(path)
            rmdir(folder)
            throw error
        }
    }

    func remove() {
        unlink(path)
        rmdir(folder)
    }
}
