import ArgumentParser
import DatasetKit
import Foundation

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage who can read an encrypted store: age keys (age1… public, AGE-SECRET-KEY-1… secret).",
        discussion: """
        Each person has an age identity (a secret key, in ~/.config/dpm/identity.txt or the file \
        DPM_IDENTITY_FILE names) and gives the team its public key (age1…). dpm.yaml's \
        encryption.recipients lists the public keys that can read the store; the store holds the \
        store key wrapped for each of them in keys/<fingerprint>.age, an age file that the age tool \
        itself decrypts. Keys made with age-keygen work too.
        """,
        subcommands: [Generate.self, Add.self, List.self, Remove.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make your age identity and print its public key.",
            discussion: """
            Writes a new identity to ~/.config/dpm/identity.txt ($XDG_CONFIG_HOME/dpm/identity.txt when \
            XDG_CONFIG_HOME is set; DPM_IDENTITY_FILE overrides), readable by you only, in the format of \
            age-keygen. An existing identity file is never overwritten. Send the printed age1… key to a \
            teammate who can read the store; they run dpm key add with it.
            """
        )

        func run() throws {
            let settings = AppContext.processSettings.encryption
            let identity = try IdentityFile.generate(path: settings.identityFile)
            print(identity.recipient)
            Terminal.note("Wrote your age identity to \(settings.identityFile) (keep it secret, and keep a copy: without it you cannot read the store). Your public key is above; someone who can read the store runs \"dpm key add \(identity.recipient)\".")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let someone read the store: add their public key to dpm.yaml and, once the store is encrypted, write its key file.",
            discussion: """
            In an encrypted store this takes your identity (you must be able to read the store) to \
            wrap the store key for them; no object is encrypted again. In a store that is not \
            encrypted yet it only edits dpm.yaml: the first upload encrypts the store for everyone listed.
            """
        )

        @Argument(help: ArgumentHelp("Their age public key (age1…, from dpm key generate or age-keygen).", valueName: "age1…"))
        var recipient: String

        @Option(help: ArgumentHelp("Whose key it is, written as a comment after it in dpm.yaml.", valueName: "text"))
        var comment: String?

        func run() throws {
            let recipient = try AgeRecipient(recipient)
            let context = try AppContext()
            print(try context.keyManagement().add(recipient, comment: comment).message)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List who can read the store: the recipients in dpm.yaml, and whether each has a key file in the store.",
            discussion: "Key files in the store for keys dpm.yaml does not list are shown too: those people can read the store."
        )
        @OptionGroup var output: OutputOptions

        func run() throws {
            let listing = try AppContext().keyManagement().list()
            if output.json { return try Terminal.printJSON(listing) }
            switch listing.storeEncryption {
            case "encrypted":
                print("The store \(listing.store) is encrypted (store key generation \(listing.generation.map(String.init) ?? "none yet")).")
            case "plaintext":
                print("The store \(listing.store) is not encrypted (it holds plaintext snapshots).")
            default:
                print("The store \(listing.store) is not encrypted yet; its first upload encrypts it for these recipients.")
            }
            guard !listing.recipients.isEmpty || !listing.unlistedKeyFiles.isEmpty else {
                return print("dpm.yaml lists no recipients (dpm key add adds one).")
            }
            TextTable.print(header: ["RECIPIENT", "KEY FILE", "COMMENT"], rows: listing.recipients.map {
                let keyFile = $0.keyFile
                return [$0.recipient, $0.hasKeyFile.map { $0 ? keyFile : "missing" } ?? "-", $0.comment ?? ""]
            } + listing.unlistedKeyFiles.map {
                [$0.recipient ?? "?", "\($0.keyFile) (not in dpm.yaml)", ""]
            })
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop someone reading what is stored from now on: remove their key and rotate the store key.",
            discussion: """
            Removes the key from dpm.yaml and, in an encrypted store, deletes its key file and makes a \
            new store key for what is uploaded from now on, wrapped for the remaining recipients only \
            (this takes your identity). Older snapshots stay readable with the older keys, which the \
            remaining recipients still hold; the removed person keeps what they could already read.
            """
        )

        @Argument(help: ArgumentHelp("The age public key to remove (age1…).", valueName: "age1…"))
        var recipient: String

        func run() throws {
            let recipient = try AgeRecipient(recipient)
            let context = try AppContext()
            print(try context.keyManagement().remove(recipient).message)
        }
    }
}

extension AppContext {
    func keyManagement() throws -> KeyManagement {
        KeyManagement(project: project, store: try store(), settings: settings.encryption)
    }
}
