import Archive
import DatasetKit
import ObjectStore

/// Direct access to a test project's store, for tests that inspect or tamper with objects.
enum LocalStoreAccess {
    static let codec = ZstdCodec()

    static func open(_ root: String) throws -> ObjectStore { try LocalDirectoryStore(root: root) }
}
