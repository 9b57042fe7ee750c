/// The toolbox version every tool reports with `--version`.
public enum TSFM {
    public static let version = "0.1.0"
}
