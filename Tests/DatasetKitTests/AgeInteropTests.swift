@testable import DatasetKit
import Foundation
import XCTest

/// dpm's age against the `age` tool itself (the Debian package `age`, which shell/test.sh
/// installs): keys from age-keygen, files each way, armored files.
final class AgeInteropTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), FileManager.default.isExecutableFile(atPath: "/usr/bin/age-keygen") else {
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" {
                throw DPMError.internal("/usr/bin/age is missing although shell/test.sh installs the age package.")
            }
            throw XCTSkip("The age tool is not installed (apt-get install age, or run shell/test.sh).")
        }
        folder = NSTemporaryDirectory() + "dpm-age-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DPMError.internal("\(tool) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(message)")
        }
        return data
    }

    private func path(_ name: String) -> String { "\(folder)/\(name)" }

    func testAnIdentityFromAgeKeygenIsAcceptedWithItsRecipient() throws {
        try run("age-keygen", ["-o", path("keygen.txt")])
        let identities = try IdentityFile.load(path: path("keygen.txt"))
        XCTAssertEqual(identities.count, 1)
        let printed = String(decoding: try run("age-keygen", ["-y", path("keygen.txt")]), as: UTF8.self)
        XCTAssertEqual(identities[0].recipient.text, printed.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try AgeRecipient(printed.trimmingCharacters(in: .whitespacesAndNewlines)), identities[0].recipient)
    }

    func testAnIdentityFileFromDpmIsReadByAge() throws {
        let identity = try IdentityFile.generate(path: path("dpm/identity.txt"))
        let printed = String(decoding: try run("age-keygen", ["-y", path("dpm/identity.txt")]), as: UTF8.self)
        XCTAssertEqual(printed.trimmingCharacters(in: .whitespacesAndNewlines), identity.recipient.text)
    }

    func testFilesDpmEncryptsAreDecryptedByAgeForEachRecipient() throws {
        try run("age-keygen", ["-o", path("a.txt")])
        try run("age-keygen", ["-o", path("b.txt")])
        let recipients = try [path("a.txt"), path("b.txt")].map { try IdentityFile.load(path: $0)[0].recipient }
        let chunk = PayloadStream.chunkSize
        for size in [0, 1, chunk, chunk + 1, 3 * chunk + 99] {
            let plaintext = AgeFileTests.bytes(size, seed: UInt8(size % 251))
            try AgeFile.encrypt(plaintext, to: recipients).write(to: URL(fileURLWithPath: path("f.age")))
            for identity in ["a.txt", "b.txt"] {
                XCTAssertEqual(try run("age", ["-d", "-i", path(identity), path("f.age")]), plaintext, "\(size) bytes, \(identity)")
            }
        }
    }

    func testFilesAgeEncryptsAreDecryptedByDpm() throws {
        let identity = try IdentityFile.generate(path: path("id.txt"))
        let other = AgeIdentity.generate()
        let chunk = PayloadStream.chunkSize
        for size in [0, 1, chunk - 1, chunk, 2 * chunk, 2 * chunk + 1] {
            let plaintext = AgeFileTests.bytes(size, seed: 3)
            try plaintext.write(to: URL(fileURLWithPath: path("plain")))
            try run("age", ["-r", other.recipient.text, "-r", identity.recipient.text, "-o", path("f.age"), path("plain")])
            let file = try Data(contentsOf: URL(fileURLWithPath: path("f.age")))
            XCTAssertEqual(try AgeFile.decrypt(file, with: [identity], name: "f.age"), plaintext, "\(size) bytes")
            XCTAssertEqual(try AgeFile.decrypt(file, with: [other], name: "f.age"), plaintext, "\(size) bytes")
            try run("age", ["-a", "-r", identity.recipient.text, "-o", path("f.pem"), path("plain")])
            let armored = try Data(contentsOf: URL(fileURLWithPath: path("f.pem")))
            XCTAssertTrue(armored.starts(with: Data("-----BEGIN AGE ENCRYPTED FILE-----".utf8)))
            XCTAssertEqual(try AgeFile.decrypt(armored, with: [identity], name: "f.pem"), plaintext, "armored, \(size) bytes")
        }
        // A key age writes for a recipient that is not us.
        try run("age", ["-r", other.recipient.text, "-o", path("g.age"), path("plain")])
        XCTAssertThrowsError(try AgeFile.decrypt(try Data(contentsOf: URL(fileURLWithPath: path("g.age"))), with: [identity], name: "g.age")) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .permissionDenied)
        }
    }

    func testAgeRefusesAFileDpmWroteThatWasChanged() throws {
        let identity = try IdentityFile.generate(path: path("id.txt"))
        var file = try AgeFile.encrypt(Data("secret".utf8), to: [identity.recipient])
        file[file.count - 3] ^= 1
        try file.write(to: URL(fileURLWithPath: path("f.age")))
        XCTAssertThrowsError(try run("age", ["-d", "-i", path("id.txt"), path("f.age")]))
    }
}
