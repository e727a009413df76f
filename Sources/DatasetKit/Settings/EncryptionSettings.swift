/// Where the user's age identity is: DPM_IDENTITY_FILE, else `$XDG_CONFIG_HOME/dpm/identity.txt`,
/// else `~/.config/dpm/identity.txt`. The file holds a secret key, so it lives in the user's
/// configuration, never in a project.
public struct EncryptionSettings: Sendable, Equatable {
    public var identityFile: String
    /// Whether DPM_IDENTITY_FILE chose the file (messages then name the variable).
    public var identityFileFromEnvironment: Bool

    public init(identityFile: String, identityFileFromEnvironment: Bool = false) {
        self.identityFile = identityFile
        self.identityFileFromEnvironment = identityFileFromEnvironment
    }

    public init(environment: [String: String]) {
        if let file = nonEmpty(environment["DPM_IDENTITY_FILE"]) {
            self.init(identityFile: file, identityFileFromEnvironment: true)
        } else if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") {
            self.init(identityFile: "\(base)/dpm/identity.txt")
        } else {
            self.init(identityFile: "\(homeDirectory(environment))/.config/dpm/identity.txt")
        }
    }
}
