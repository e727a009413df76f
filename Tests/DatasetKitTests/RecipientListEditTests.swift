@testable import DatasetKit
import Foundation
import XCTest

/// Editing `encryption.recipients` in dpm.yaml's text: every other line stays as written.
final class RecipientListEditTests: XCTestCase {
    let edit = RecipientListEdit(displayName: "dpm.yaml")
    let alice = AgeIdentity.generate().recipient
    let bob = AgeIdentity.generate().recipient
    let carol = AgeIdentity.generate().recipient

    let head = """
    # dpm project settings.
    database: "dbname=app"   # the dev database
    store: "file:.dpm/store"

    migrations:
      dir: "db/migrations"

    """

    func testAddingToAFileWithoutEncryptionAppendsTheSection() throws {
        let edited = try edit.adding(alice, comment: "alice", to: head)
        XCTAssertEqual(edited, head + "encryption:\n  recipients:\n    - \(alice)  # alice\n")
        let again = try edit.adding(bob, comment: nil, to: edited)
        XCTAssertEqual(again, head + "encryption:\n  recipients:\n    - \(alice)  # alice\n    - \(bob)\n")
        XCTAssertEqual(edit.comments(in: again), [alice: "alice"])
        XCTAssertEqual(try edit.adding(alice, comment: nil, to: "store: x"), "store: x\nencryption:\n  recipients:\n    - \(alice)\n",
                       "a file without a final line feed")
    }

    func testAddingKeepsTheListsOwnLayoutAndComments() throws {
        let text = head + """
        encryption:   # who can read the store
          # the team
          recipients:
          - "\(alice)"     # alice (laptop)
          # - age1old… (left)
          - \(bob)  # bob
        media: "public/uploads"

        """
        let edited = try edit.adding(carol, comment: "carol", to: text)
        XCTAssertEqual(edited, text.replacingOccurrences(of: "  - \(bob)  # bob\n", with: "  - \(bob)  # bob\n  - \(carol)  # carol\n"))
        XCTAssertEqual(edit.comments(in: edited), [alice: "alice (laptop)", bob: "bob", carol: "carol"])

        let removed = try edit.removing(bob, from: edited)
        XCTAssertEqual(removed, text.replacingOccurrences(of: "  - \(bob)  # bob\n", with: "  - \(carol)  # carol\n"))
        XCTAssertEqual(try edit.removing(alice, from: removed),
                       text.replacingOccurrences(of: "  - \"\(alice)\"     # alice (laptop)\n", with: "")
                           .replacingOccurrences(of: "  - \(bob)  # bob\n", with: "  - \(carol)  # carol\n"))
    }

    func testAnEmptyOrFlowListBecomesABlockList() throws {
        XCTAssertEqual(try edit.adding(alice, comment: nil, to: head + "encryption:\n  recipients: []   # none yet\n"),
                       head + "encryption:\n  recipients:  # none yet\n    - \(alice)\n")
        XCTAssertEqual(try edit.adding(bob, comment: "bob", to: head + "encryption:\n  recipients: [\(alice)]\n"),
                       head + "encryption:\n  recipients:\n    - \(alice)\n    - \(bob)  # bob\n")
        XCTAssertEqual(try edit.removing(alice, from: head + "encryption:\n  recipients: [\(alice), \(bob)]\n"),
                       head + "encryption:\n  recipients:\n    - \(bob)\n")
        XCTAssertEqual(try edit.adding(alice, comment: nil, to: head + "encryption:\n  recipients:\n"),
                       head + "encryption:\n  recipients:\n    - \(alice)\n")
        XCTAssertEqual(try edit.adding(alice, comment: nil, to: head + "encryption:\n"),
                       head + "encryption:\n  recipients:\n    - \(alice)\n")
    }

    func testWhatItCannotEditSafelyIsRefusedWithWhatToDo() {
        for text in [
            head + "encryption: {recipients: [\(alice)]}\n",
            head + "encryption:\n  recipients: [\n    \(alice)\n  ]\n",
            head + "encryption:\n  recipients:\n    - \(alice)  \n  &x\n",
        ] {
            XCTAssertThrowsError(try edit.adding(bob, comment: nil, to: text), text) { error in
                let message = (error as? DPMError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix("dpm cannot edit encryption.recipients in dpm.yaml in the way it is written; write it as a block list")
                              || message.contains("dpm.yaml"), message)
            }
        }
    }

    func testAMalformedRecipientInTheFileIsNamedWithItsLine() {
        let text = head + "encryption:\n  recipients:\n    - \(alice)\n    - age1notakey\n"
        XCTAssertThrowsError(try edit.adding(bob, comment: nil, to: text)) { error in
            XCTAssertEqual((error as? DPMError)?.message,
                           "dpm.yaml line 10: encryption.recipients: \"age1notakey\" is not an age public key: it contains \"o\", which is not a Bech32 character.")
        }
    }
}
