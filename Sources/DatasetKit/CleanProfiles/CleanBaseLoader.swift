import Foundation

/// Loads a clean profile's schema.sql and data.sql into an empty database, in the order of
/// `CleanSchemaLayout`: pre-data, data, post-data (a file without the marker: schema, data).
/// Every part goes through `runSQLFile`, so psql's meta-commands stay off.
struct CleanBaseLoader {
    let server: SQLRunner

    /// A part that did not load, with the file it came from (the real path, not the part's
    /// scratch copy) so callers can say which file to fix.
    struct Failure: Error {
        enum Part { case schema, preData, data, postData }
        let file: String
        let part: Part
        /// What went wrong, told with `file` where it named the scratch copy.
        let error: DPMError
        /// The first line of psql's output (the whole sentence when psql did not fail).
        let firstLine: String

        var message: String { error.message }
    }

    /// `beforeData` runs once the schema (or its pre-data part) is in, before data.sql.
    func load(schema: String, data: String?, into database: String, beforeData: () throws -> Void = {}) throws {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: schema)) } catch {
            throw DPMError.system("Cannot read \(schema): \(SystemErrorText.reason(error)).")
        }
        guard let parts = try CleanSchemaLayout.split(bytes, file: schema) else {
            try run(schema, as: schema, part: .schema, in: database)
            try beforeData()
            if let data { try run(data, as: data, part: .data, in: database) }
            return
        }
        let folder = FileManager.default.temporaryDirectory.path + "/dpm-clean-\(randomSuffix())"
        let name = schema.split(separator: "/").last.map(String.init) ?? "schema.sql"
        try createFolder(folder, purpose: "a scratch folder", permissions: 0o700)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try createFolder(folder + "/pre-data", purpose: "a scratch folder", permissions: 0o700)
        try createFolder(folder + "/post-data", purpose: "a scratch folder", permissions: 0o700)
        let pre = "\(folder)/pre-data/\(name)", post = "\(folder)/post-data/\(name)"
        try write(parts.preData, to: pre)
        try write(parts.postData, to: post)
        try run(pre, as: schema, part: .preData, in: database)
        try beforeData()
        if let data { try run(data, as: data, part: .data, in: database) }
        try run(post, as: schema, part: .postData, in: database)
    }

    private func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw DPMError.system("Cannot write \(path): \(SystemErrorText.reason(error)).")
        }
    }

    private func run(_ path: String, as file: String, part: Failure.Part, in database: String) throws {
        do {
            try server.runSQLFile(path, in: database)
        } catch {
            let error = DPMError(reporting: error)
            func named(_ text: String) -> String { text.replacingOccurrences(of: path, with: file) }
            throw Failure(file: file, part: part, error: error.rephrased(named(error.message)),
                          firstLine: named(error.tool?.firstLine ?? error.message))
        }
    }
}

extension CleanBaseLoader.Failure: CustomStringConvertible {
    var description: String { message }
}
