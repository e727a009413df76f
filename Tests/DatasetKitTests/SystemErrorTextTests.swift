import DatasetKit
import Foundation
import XCTest

final class SystemErrorTextTests: XCTestCase {
    func testFoundationFileErrorsBecomeOneSentenceWithThePathAndTheSystemsReason() throws {
        let folder = NSTemporaryDirectory() + "dpm-missing-\(UUID().uuidString)"
        XCTAssertThrowsError(try Data("x".utf8).write(to: URL(fileURLWithPath: "\(folder)/file"))) { error in
            XCTAssertEqual(error.userMessage, "Cannot open \(folder)/file: No such file or directory.")
        }
        XCTAssertThrowsError(try String(contentsOfFile: "\(folder)/file", encoding: .utf8)) { error in
            XCTAssertEqual(error.userMessage, "Cannot read \(folder)/file: No such file or directory.")
        }
    }

    func testReasonsComeFromTheUnderlyingPOSIXError() {
        let readOnly = NSError(domain: NSCocoaErrorDomain, code: 642, userInfo: [
            NSFilePathErrorKey: "/mnt/x", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EROFS)),
        ])
        XCTAssertEqual(readOnly.userMessage, "Cannot write /mnt/x: Read-only file system.")
        XCTAssertEqual(SystemErrorText.reason(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))), "No space left on device")
        XCTAssertEqual(NSError(domain: NSCocoaErrorDomain, code: 640, userInfo: [NSFilePathErrorKey: "/full"]).userMessage,
                       "Cannot write /full: No space left on device.")
    }

    func testOtherErrorsNeverShowFoundationsDump() {
        struct Odd: Error {}
        let message = Odd().userMessage
        XCTAssertFalse(message.contains("Error Domain"), message)
        XCTAssertTrue(message.hasPrefix("dpm stopped on an unexpected system error: "), message)
        XCTAssertEqual(DPMError.internal("Mine.").userMessage, "Mine.")
    }
}
