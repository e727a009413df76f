import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// A fresh bucket on the moto S3 server shell/test.sh started, and the environment that
/// points dpm at it (with its own download cache in the project).
struct TestBucket {
    let endpoint: String
    let url: String
    let environment: [String: String]
    /// Direct access, for tests that inspect or tamper with what dpm stored.
    let store: S3Store

    /// Skips (or, under shell/test.sh, fails) when no S3 endpoint was started.
    init(prefix: String, cache: String) throws {
        guard let endpoint = ProcessInfo.processInfo.environment["DPM_TEST_S3_ENDPOINT"] else {
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" { throw DPMError.internal("DPM_TEST_S3_ENDPOINT is not set") }
            throw XCTSkip("No S3 endpoint; run shell/test.sh.")
        }
        self.endpoint = endpoint
        url = "s3://dpm-e2e-\(randomSuffix(12))/\(prefix)"
        environment = ["DPM_STORE": url, "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "XDG_CACHE_HOME": cache]
        store = try S3Store(configuration: S3Configuration.resolve(url: url, endpoint: endpoint, aws: AWSSettings(environment: environment)))
        try store.createBucket()
    }
}
