import DatasetKit
import XCTest

/// `Settings(environment:)` from dictionaries: the process environment is never touched.
final class SettingsTests: XCTestCase {
    func testDefaultsWithAnEmptyEnvironment() {
        let settings = Settings(environment: ["HOME": "/home/u"])
        XCTAssertEqual(settings.project, ProjectOverrides())
        XCTAssertEqual(settings.switching.spares, 2)
        XCTAssertTrue(settings.switching.refill)
        XCTAssertEqual(settings.switching.stashWarningBytes, 10e9)
        XCTAssertNil(settings.switching.stashWarningProblem)
        XCTAssertEqual(settings.compression.zstdLevel, 4)
        XCTAssertEqual(settings.s3.timeoutSeconds, 900)
        XCTAssertEqual(settings.s3.partSize, 64 << 20)
        XCTAssertEqual(settings.s3.jobs, 4)
        XCTAssertEqual(settings.s3.retry, RetryLimits(maxAttempts: 6, baseDelay: 0.25, maxDelay: 20, totalBudget: 300))
        XCTAssertEqual(settings.aws.profile, "default")
        XCTAssertEqual(settings.aws.credentialsFile, "/home/u/.aws/credentials")
        XCTAssertEqual(settings.aws.configFile, "/home/u/.aws/config")
        XCTAssertNil(settings.aws.accessKeyID)
        XCTAssertNil(settings.aws.region)
        XCTAssertNil(settings.aws.endpoint)
        XCTAssertNil(settings.aws.pathStyle)
        XCTAssertNil(settings.postgres.toolFolder)
        XCTAssertEqual(settings.postgres.searchPath, ["/usr/bin", "/bin"])
        XCTAssertEqual(settings.postgres.libpq, LibpqVariables())
        XCTAssertEqual(settings.cache.root, "/home/u/.cache/dpm")
        XCTAssertNil(settings.sanitize.key)
        XCTAssertEqual(settings.encryption, EncryptionSettings(identityFile: "/home/u/.config/dpm/identity.txt"))
        XCTAssertFalse(settings.diagnostics.verbose)
        XCTAssertEqual(settings.diagnostics.stopAt, "")
        XCTAssertNil(settings.diagnostics.pauseAt)
    }

    func testEveryVariableOverridesItsDefault() {
        let settings = Settings(environment: [
            "DPM_DATABASE_URL": "postgresql:///other", "DPM_STORE": "s3://b/p", "DPM_SPARES": "5", "DPM_REFILL": "off",
            "DPM_STASH_WARN_GB": "0.5", "DPM_ZSTD_LEVEL": "9", "DPM_S3_TIMEOUT_SECONDS": "30", "DPM_S3_PART_SIZE_MB": "8",
            "DPM_S3_JOBS": "2", "DPM_S3_MAX_ATTEMPTS": "3", "DPM_S3_RETRY_BASE_SECONDS": "0.05", "DPM_S3_RETRY_BUDGET_SECONDS": "10",
            "AWS_PROFILE": "work", "AWS_SHARED_CREDENTIALS_FILE": "/c", "AWS_CONFIG_FILE": "/f", "AWS_ACCESS_KEY_ID": "AK",
            "AWS_SECRET_ACCESS_KEY": "sk", "AWS_SESSION_TOKEN": "st", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": "http://minio:9000",
            "DPM_S3_PATH_STYLE": "0", "DPM_PG_BIN": "/opt/pg/bin", "PATH": "/a:/b", "PGSERVICE": "svc", "PGDATABASE": "db",
            "PGUSER": "me", "PGHOST": "/run/pg", "PGPORT": "6543", "XDG_CACHE_HOME": "/xdg", "DPM_VERBOSE": "1",
            "DPM_STOP_AT": "use.before-media", "DPM_PAUSE_AT": "upload.before-manifest:2.5",
            "DPM_SANITIZE_KEY": "a-secret-of-enough-length", "DPM_IDENTITY_FILE": "/keys/me.txt",
        ])
        XCTAssertEqual(settings.project, ProjectOverrides(database: "postgresql:///other", store: "s3://b/p"))
        XCTAssertEqual(settings.switching.spares, 5)
        XCTAssertFalse(settings.switching.refill)
        XCTAssertEqual(settings.switching.stashWarningBytes, 0.5e9)
        XCTAssertEqual(settings.compression.zstdLevel, 9)
        XCTAssertEqual(settings.s3.timeoutSeconds, 30)
        XCTAssertEqual(settings.s3.partSize, 8 << 20)
        XCTAssertEqual(settings.s3.jobs, 2)
        XCTAssertEqual(settings.s3.retry, RetryLimits(maxAttempts: 3, baseDelay: 0.05, maxDelay: 20, totalBudget: 10))
        XCTAssertEqual(settings.aws.profile, "work")
        XCTAssertEqual(settings.aws.credentialsFile, "/c")
        XCTAssertEqual(settings.aws.configFile, "/f")
        XCTAssertEqual([settings.aws.accessKeyID, settings.aws.secretAccessKey, settings.aws.sessionToken], ["AK", "sk", "st"])
        XCTAssertEqual(settings.aws.region, "eu-west-1")
        XCTAssertEqual(settings.aws.endpoint, "http://minio:9000")
        XCTAssertEqual(settings.aws.pathStyle, false)
        XCTAssertEqual(settings.postgres.toolFolder, "/opt/pg/bin")
        XCTAssertEqual(settings.postgres.searchPath, ["/a", "/b"])
        XCTAssertEqual(settings.postgres.libpq, LibpqVariables(service: "svc", database: "db", user: "me", host: "/run/pg", port: "6543"))
        XCTAssertEqual(settings.cache.root, "/xdg/dpm")
        XCTAssertEqual(settings.sanitize.key, "a-secret-of-enough-length")
        XCTAssertEqual(settings.encryption, EncryptionSettings(identityFile: "/keys/me.txt", identityFileFromEnvironment: true))
        XCTAssertTrue(settings.diagnostics.verbose)
        XCTAssertEqual(settings.diagnostics.stopAt, "use.before-media")
        XCTAssertEqual(settings.diagnostics.pauseAt, Diagnostics.Pause(step: "upload.before-manifest", seconds: 2.5))
    }

    func testValuesOutOfRangeAreClamped() {
        let low = Settings(environment: ["DPM_SPARES": "-3", "DPM_ZSTD_LEVEL": "0", "DPM_PAUSE_AT": "a:b:-1"])
        XCTAssertEqual(low.switching.spares, 0)
        XCTAssertEqual(low.compression.zstdLevel, 1)
        XCTAssertEqual(low.diagnostics.pauseAt, Diagnostics.Pause(step: "a:b", seconds: 0))
        let high = Settings(environment: ["DPM_SPARES": "99", "DPM_ZSTD_LEVEL": "22", "DPM_PAUSE_AT": "step:600"])
        XCTAssertEqual(high.switching.spares, 16)
        XCTAssertEqual(high.compression.zstdLevel, 19)
        XCTAssertEqual(high.diagnostics.pauseAt?.seconds, 60)
    }

    func testInvalidValuesKeepTheDefaults() {
        let settings = Settings(environment: [
            "DPM_SPARES": "many", "DPM_ZSTD_LEVEL": "fast", "DPM_S3_TIMEOUT_SECONDS": "1.5", "DPM_S3_PART_SIZE_MB": "",
            "DPM_S3_JOBS": "x", "DPM_S3_MAX_ATTEMPTS": "0", "DPM_S3_RETRY_BASE_SECONDS": "-1", "DPM_S3_RETRY_BUDGET_SECONDS": "soon",
            "DPM_PAUSE_AT": "no-seconds", "DPM_VERBOSE": "yes", "DPM_REFILL": "no", "XDG_CACHE_HOME": "relative", "HOME": "/h",
        ])
        XCTAssertEqual(settings.switching.spares, 2)
        XCTAssertEqual(settings.compression.zstdLevel, 4)
        XCTAssertEqual(settings.s3.timeoutSeconds, 900)
        XCTAssertEqual(settings.s3.partSize, 64 << 20)
        XCTAssertEqual(settings.s3.jobs, 4)
        XCTAssertEqual(settings.s3.retry, RetryLimits())
        XCTAssertNil(settings.diagnostics.pauseAt)
        XCTAssertFalse(settings.diagnostics.verbose, "only 1 turns verbose output on")
        XCTAssertTrue(settings.switching.refill, "only off turns the refill off")
        XCTAssertEqual(settings.cache.root, "/h/.cache/dpm", "a relative XDG_CACHE_HOME is ignored")
    }

    func testAStashLimitThatIsNotANumberIsNotedAndTheDefaultUsed() {
        for text in ["lots", "-1", "inf", "nan"] {
            let switching = SwitchSettings(environment: ["DPM_STASH_WARN_GB": text])
            XCTAssertEqual(switching.stashWarningBytes, 10e9, text)
            XCTAssertEqual(switching.stashWarningProblem, "DPM_STASH_WARN_GB=\(text) is not a number of gigabytes; dpm uses 10.")
        }
        let empty = SwitchSettings(environment: ["DPM_STASH_WARN_GB": ""])
        XCTAssertEqual(empty.stashWarningBytes, 10e9)
        XCTAssertNil(empty.stashWarningProblem, "empty is unset")
        XCTAssertEqual(SwitchSettings(environment: ["DPM_STASH_WARN_GB": "0"]).stashWarningBytes, 0)
    }

    func testEmptyVariablesCountAsUnset() {
        let settings = Settings(environment: [
            "DPM_DATABASE_URL": "", "DPM_STORE": "", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SESSION_TOKEN": "",
            "AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2", "AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "http://e:1", "DPM_PG_BIN": "",
            "DPM_SANITIZE_KEY": "",
        ])
        XCTAssertEqual(settings.project, ProjectOverrides())
        XCTAssertEqual(settings.aws.profile, "default")
        XCTAssertNil(settings.aws.accessKeyID)
        XCTAssertNil(settings.aws.sessionToken)
        XCTAssertEqual(settings.aws.region, "us-west-2", "AWS_DEFAULT_REGION when AWS_REGION is empty")
        XCTAssertEqual(settings.aws.endpoint, "http://e:1", "AWS_ENDPOINT_URL when AWS_ENDPOINT_URL_S3 is empty")
        XCTAssertNil(settings.postgres.toolFolder)
        XCTAssertNil(settings.sanitize.key)
    }

    func testPathStyleIsOnlyForOneOrTrue() {
        XCTAssertEqual(AWSSettings(environment: ["DPM_S3_PATH_STYLE": "1"]).pathStyle, true)
        XCTAssertEqual(AWSSettings(environment: ["DPM_S3_PATH_STYLE": "true"]).pathStyle, true)
        XCTAssertEqual(AWSSettings(environment: ["DPM_S3_PATH_STYLE": "yes"]).pathStyle, false)
    }

    func testRetryLimitsAcceptTheirSmallestValues() {
        let limits = RetryLimits(environment: ["DPM_S3_MAX_ATTEMPTS": "1", "DPM_S3_RETRY_BASE_SECONDS": "0", "DPM_S3_RETRY_BUDGET_SECONDS": "0"])
        XCTAssertEqual(limits, RetryLimits(maxAttempts: 1, baseDelay: 0, maxDelay: 20, totalBudget: 0))
    }
}
