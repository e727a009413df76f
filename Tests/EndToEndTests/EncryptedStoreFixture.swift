import Archive
import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// A person of an encrypted store's team: an identity file made by `dpm key generate` or by
/// age-keygen (Debian's age package), and its public key.
struct AgePerson {
    let file: String
    let recipient: String
    var environment: [String: String] { ["DPM_IDENTITY_FILE": file] }
}

/// What the encryption tests share: people, a source database with a marker no byte of the
/// store may hold, and looks into the store.
enum EncryptedStoreFixture {
    /// In a row, a column comment (schema), a media file and a media file's name: nowhere in the store.
    static let marker = "Zebulon-Quartermaine-4471"

    static func person(_ name: String, keygen: Bool = false, in harness: Harness) throws -> AgePerson {
        let file = "\(harness.root)/people/\(name).txt"
        if keygen {
            try FileManager.default.createDirectory(atPath: "\(harness.root)/people", withIntermediateDirectories: true)
            let made = harness.command("age-keygen", ["-o", file])
            XCTAssertEqual(made.status, 0, made.stderr)
            let printed = harness.command("age-keygen", ["-y", file])
            return AgePerson(file: file, recipient: printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let run = harness.dpm(["key", "generate"], environment: ["DPM_IDENTITY_FILE": file])
        XCTAssertEqual(run.status, 0, run.stderr)
        return AgePerson(file: file, recipient: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The fixture database and media, with the marker in a row, the schema and the media.
    static func createSource(in harness: Harness) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/age") else {
            throw DPMError.internal("/usr/bin/age is missing although shell/test.sh installs the age package.")
        }
        try Fixture.create(in: harness)
        try harness.psql("INSERT INTO accounts (name, settings) VALUES ('\(marker)', '{\"k\": \"\(marker)\"}')")
        try harness.psql("COMMENT ON COLUMN accounts.name IS 'who: \(marker)'")
        try Fixture.createMedia(in: harness)
        try harness.write("a letter to \(marker)\n", to: "media/letters/\(marker).txt")
    }

    /// Every file of a `file:` store: its key and its bytes.
    static func files(of store: String) -> [(key: String, bytes: Data)] {
        let walker = FileManager.default.enumerator(atPath: store)
        var found: [(String, Data)] = []
        while let relative = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = "\(store)/\(relative)"
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            found.append((relative, FileManager.default.contents(atPath: path) ?? Data()))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// The bytes and, where they decompress as zstd, their decompressed form.
    static func readable(_ bytes: Data) -> [Data] {
        guard let decompressed = try? ZstdCodec().decompressing(DataReader(bytes)).readAll(limit: 256 << 20) else { return [bytes] }
        return [bytes, decompressed]
    }

    /// The ring of a `file:` store, opened as `person`.
    static func ring(of store: String, as person: AgePerson) throws -> StoreKeyring {
        try StoreKeyring.open(try LocalStoreAccess.open(store), identities: try IdentityFile.load(path: person.file))
    }

    /// A transfer that reads a `file:` store's objects as `person`.
    static func transfer(of store: String, as person: AgePerson) throws -> ObjectTransfer {
        ObjectTransfer(store: try LocalStoreAccess.open(store), codec: LocalStoreAccess.codec,
                       sealing: ObjectSealing(ring: try ring(of: store, as: person)))
    }
}
