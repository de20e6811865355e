/// The version of nasc, written into manifests and printed by `nasc --version`.
public let nascVersion = "0.1.0"
