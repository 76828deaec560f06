"""Independent engines for the conformance tests, all from Debian's packages: Apache Jena
(riot, ARQ, SHACL), the OWL API with HermiT (owlready2), Virtuoso.

Debian ships Jena's jars without launchers or a Class-Path, so the class path is built here from
the jars of libapache-jena-java and of the Java packages it depends on (dpkg knows both). Debian's
jena-core also moved Jena's shaded Xerces classes to the package ``xerces`` but left their message
files under ``org/apache/jena/ext/xerces``; Jena then fails at start-up ("internal error" in
XSSimpleTypeDecl) because a facet message cannot be found. The files are copied, out of the same
jar, to the place the classes look for them, in a folder put first on the class path.

Outside CI an engine that is not installed skips its tests, naming the package to install; in CI
(CI or EGOVKG_REQUIRE_ENGINES set, as .ci/run does) it is a failure, so a missing install step
can never turn into a green run that checked nothing.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

JAVA_DIR = Path("/usr/share/java")
HERE = Path(__file__).resolve().parent
# slf4j: one binding (simple) on the class path, not all of those Debian installs
_NOT_ON_PATH = re.compile(r"^(slf4j-(?!api|simple).*|log4j-over-slf4j|jul-to-slf4j|jcl-over-slf4j)$")


def required() -> bool:
    return any(os.environ.get(v, "").lower() not in ("", "0", "false", "no") for v in ("CI", "EGOVKG_REQUIRE_ENGINES"))


def unavailable(what: str, install: str) -> None:
    """Skip (a developer's machine) or fail (CI) for an engine that is not installed."""
    message = f"{what} is not installed: apt-get install {install} (.ci/run does)"
    if required():
        pytest.fail(f"CI must run the conformance tests: {message}", pytrace=False)
    pytest.skip(message)


def _dpkg_files(package: str) -> list[str]:
    done = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True)
    return done.stdout.splitlines() if done.returncode == 0 else []


def _depends(package: str) -> list[str]:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True)
    if done.returncode != 0:
        return []
    names = []
    for alternative in done.stdout.split(","):
        name = alternative.split("|")[0].strip().split(" ")[0].split(":")[0]
        if name:
            names.append(name)
    return names


def _jars(root: str) -> list[Path]:
    """The unversioned jars in /usr/share/java of ``root`` and of every Java package it needs."""
    seen: set[str] = set()
    todo = [root]
    jars: dict[str, Path] = {}
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        for f in _dpkg_files(package):
            path = Path(f)
            if path.parent == JAVA_DIR and path.suffix == ".jar" and not re.search(r"-\d[\w.]*\.jar$", path.name):
                if not _NOT_ON_PATH.match(path.stem):
                    jars[path.name] = path
        todo += [d for d in _depends(package) if d.startswith("lib") and d.endswith("-java")]
    return sorted(jars.values())


@functools.cache
def jena_classpath() -> str | None:
    """Jena's class path (see the module's docstring), or None when Jena or a JDK is missing."""
    if shutil.which("java") is None or not (JAVA_DIR / "jena-core.jar").is_file():
        return None
    overlay = Path(tempfile.mkdtemp(prefix="egovkg-jena-"))
    atexit.register(shutil.rmtree, overlay, ignore_errors=True)
    shaded = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(shaded) and not name.endswith((".class", "/")):
                target = overlay / "xerces" / name[len(shaded) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return os.pathsep.join([str(overlay), *map(str, _jars("libapache-jena-java"))])


def jena() -> str:
    cp = jena_classpath()
    if cp is None:
        unavailable("Apache Jena (with a Java runtime)", "libapache-jena-java default-jdk-headless")
    return cp  # type: ignore[return-value]


def java(classpath: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    # C1 only: these are short runs, where the optimising compiler costs more than it saves
    return subprocess.run(
        ["java", "-XX:TieredStopAtLevel=1", "-cp", classpath, *args], capture_output=True, text=True, timeout=timeout
    )


def jena_check(*args: str) -> None:
    """tests/conformance/JenaCheck.java (run from source: one JVM for many queries or files)."""
    cp = jena()
    if not shutil.which("javac"):  # running a .java file needs the JDK's compiler module
        unavailable("a Java compiler (the JDK)", "default-jdk-headless")
    done = java(cp, str(HERE / "JenaCheck.java"), *args)
    assert done.returncode == 0, done.stderr[-3000:]


def owlapi() -> str:
    """The class path of the OWL API (Debian's libowlapi-java and what it needs)."""
    if shutil.which("javac") is None or not (JAVA_DIR / "owlapi-api.jar").is_file():
        unavailable("the OWL API (with a JDK)", "libowlapi-java default-jdk-headless")
    # rdf4j's dependencies bring Maven's own slf4j binding: one binding only
    return os.pathsep.join(str(p) for p in _jars("libowlapi-java") if p.stem != "maven3-slf4j-provider")


def hermit() -> str:
    """The class path of HermiT, as owlready2 ships it (its jar and the classes beside it)."""
    try:
        import owlready2
    except ImportError:
        if required():
            pytest.fail("CI must run the OWL tests: owlready2 (HermiT) is not installed", pytrace=False)
        pytest.skip("owlready2 (which ships HermiT) is not installed: pip install owlready2")
    if shutil.which("java") is None:
        unavailable("a Java runtime", "default-jdk-headless")
    folder = Path(owlready2.__file__).parent / "hermit"
    return os.pathsep.join([str(folder), str(folder / "HermiT.jar")])


VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def virtuoso_config(folder: Path) -> tuple[Path, int]:
    """Debian's virtuoso.ini with its database in ``folder`` and both servers on free loopback
    ports (never 1111/8890 on every address); returns the file and the HTTP port."""
    if shutil.which("virtuoso-t") is None or not VIRTUOSO_INI.is_file():
        unavailable("Virtuoso", "virtuoso-opensource")
    sql_port, http_port = _free_port(), _free_port()
    text = VIRTUOSO_INI.read_text(encoding="utf-8")
    text = text.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    text = re.sub(r"(?m)^ServerPort(\s*)=\s*1111\s*$", rf"ServerPort\g<1>= 127.0.0.1:{sql_port}", text)
    text = re.sub(r"(?m)^ServerPort(\s*)=\s*8890\s*$", rf"ServerPort\g<1>= 127.0.0.1:{http_port}", text)
    # a small test database: 80 MB of buffers, not the 2 GB Debian's file asks for
    text = re.sub(r"(?m)^NumberOfBuffers\s*=.*$", "NumberOfBuffers = 10000", text)
    text = re.sub(r"(?m)^MaxDirtyBuffers\s*=.*$", "MaxDirtyBuffers = 6000", text)
    ini = folder / "virtuoso.ini"
    ini.write_text(text, encoding="utf-8")
    return ini, http_port
