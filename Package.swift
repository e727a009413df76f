// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "dpm",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dpm", targets: ["dpm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries: each is imported only by its wrapper module.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // The domain: no C imports; talks to the outside through protocols.
        .target(
            name: "DatasetKit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Postgres", dependencies: ["CLibPQ", "DatasetKit"]),
        .target(
            name: "ObjectStore",
            dependencies: ["CCurl", "CZlib", "DatasetKit", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "Archive", dependencies: ["CLibArchive", "CZlib", "CZstd", "DatasetKit"]),
        .executableTarget(
            name: "dpm",
            dependencies: [
                "DatasetKit", "Postgres", "ObjectStore", "Archive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "DatasetKitTests", dependencies: ["DatasetKit"]),
        // What more than one test target needs: the launcher of the scripted fault server.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "DatasetKit", "Archive", "TestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "DatasetKit"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "DatasetKit"]),
        .testTarget(name: "EndToEndTests", dependencies: ["DatasetKit", "ObjectStore", "Archive", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
