import Foundation

/// Tests/Fixtures/fault_server.py on a loopback port: it answers from a script of responses,
/// or, as a proxy, passes requests on to an upstream server except those its rules take.
public final class FaultServer {
    public let port: Int
    private let process: Process
    private let configurationPath: String

    /// Answers the requests in turn with the responses of `script`.
    public convenience init(script: [[String: Any]]) throws {
        try self.init(configuration: script, name: "script")
    }

    /// Passes requests on to `upstream`, except those `rules` take.
    public convenience init(upstream: String, rules: [[String: Any]]) throws {
        try self.init(configuration: ["upstream": upstream, "rules": rules], name: "proxy")
    }

    private init(configuration: Any, name: String) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fault_server.py").path
        configurationPath = NSTemporaryDirectory() + "dpm-fault-\(name)-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: configurationPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture, configurationPath]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The server prints "PORT <n>" once it listens; EOF first means it failed to start.
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw FaultServerError(message: "The fault server did not start: \(line)")
        }
        self.port = port
    }

    /// The requests the server has seen, in order, as it logged them.
    public func requests() throws -> [[String: Any]] {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-s", "-f", "--max-time", "10", "http://127.0.0.1:\(port)/__log"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else {
            throw FaultServerError(message: "The fault server's log could not be read (curl exit \(curl.terminationStatus)).")
        }
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: configurationPath)
    }
}

public struct FaultServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
