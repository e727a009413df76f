import DatasetKit

/// Builds a store from a project's `store:` setting.
public enum StoreFactory {
    public static func make(url: String, projectRoot: String, endpoint: String? = nil, settings: Settings = Settings(environment: [:]),
                            log: @escaping @Sendable (String) -> Void = { _ in }) throws -> ObjectStore {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw DPMError.invalidInput("The store URL \"\(Redaction.withoutUserInfo(url))\" must name an absolute path (file:///abs/path) or a relative one (file:relative/path).")
            }
            return try LocalDirectoryStore(root: path)
        }
        if url.hasPrefix("file:") {
            let path = String(url.dropFirst("file:".count))
            guard !path.isEmpty else { throw DPMError.invalidInput("The store URL \"file:\" names no folder.") }
            return try LocalDirectoryStore(root: path.hasPrefix("/") ? path : "\(projectRoot)/\(path)")
        }
        if url.hasPrefix("s3://") {
            return S3Store(configuration: try S3Configuration.resolve(url: url, endpoint: endpoint, aws: settings.aws),
                           transfer: settings.s3, log: log)
        }
        throw DPMError.invalidInput("The store URL \"\(Redaction.withoutUserInfo(url))\" is not understood; use file:///abs/path, file:relative/path or s3://bucket/prefix.")
    }
}
