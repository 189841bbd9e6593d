"""Java: Gradle's gradle.lockfile and Maven's pom.xml (versions written in the file)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ..components import component
from ..interface import Extractor, LockfileError, LockfileInput
from ..model import Component, LockfileResult

MAVEN = "Maven"
_TEST_CONFIGURATIONS = re.compile(r"^test|Test[A-Z]|^androidTest|^testFixtures")
_PROPERTY = re.compile(r"\$\{([^}]+)\}")


class GradleLockExtractor(Extractor):
    format = "gradle.lockfile"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "gradle.lockfile" or (
            path.suffix == ".lockfile" and "dependency-locks" in path.parts)

    def extract(self, file: LockfileInput) -> LockfileResult:
        out: list[Component] = []
        for number, raw in enumerate(file.text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#") or line.startswith("empty="):
                continue
            coordinates, _, configurations = line.partition("=")
            parts = coordinates.split(":")
            if len(parts) != 3 or not all(parts):
                raise LockfileError(f"line {number}: not `group:artifact:version=configurations`")
            group, artifact, version = parts
            configs = [c for c in configurations.split(",") if c]
            dev_only = bool(configs) and all(_TEST_CONFIGURATIONS.search(c) for c in configs)
            out.append(component(MAVEN, f"{group}:{artifact}", version, file.path,
                                 scope="dev" if dev_only else None))
        return self.result(file, out)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element | None, name: str) -> str | None:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text else None


class MavenPomExtractor(Extractor):
    format = "pom.xml"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "pom.xml"

    def extract(self, file: LockfileInput) -> LockfileResult:
        try:
            # defusedxml refuses DTDs, entities and external references (billion laughs, XXE).
            project = fromstring(file.text.encode("utf-8"), forbid_dtd=True)
        except DefusedXmlException as exc:
            raise LockfileError(f"refused: {type(exc).__name__} (DTDs and entities are not read)") from None
        except ParseError as exc:
            raise LockfileError(f"invalid XML: {exc}") from None
        if _local(project.tag) != "project":
            raise LockfileError(f"root element is <{_local(project.tag)}>, not <project>")
        properties = self._properties(project)
        managed: dict[str, str] = {}
        management = _child(_child(project, "dependencyManagement"), "dependencies")
        for dep in management if management is not None else ():
            key = f"{_text(dep, 'groupId')}:{_text(dep, 'artifactId')}"
            version = _text(dep, "version")
            if version:
                managed[key] = version
        out: list[Component] = []
        unresolved: list[str] = []
        dependencies = _child(project, "dependencies")
        for dep in dependencies if dependencies is not None else ():
            if _local(dep.tag) != "dependency":
                continue
            group = self._resolve(_text(dep, "groupId"), properties)
            artifact = self._resolve(_text(dep, "artifactId"), properties)
            key = f"{_text(dep, 'groupId')}:{_text(dep, 'artifactId')}"
            raw_version = _text(dep, "version") or managed.get(key)
            version = self._resolve(raw_version, properties)
            name = f"{group}:{artifact}"
            if not group or not artifact or _PROPERTY.search(name):
                unresolved.append(f"{name} (group or artifact not resolvable in this file)")
                continue
            if version is None or _PROPERTY.search(version):
                unresolved.append(f"{name}:{raw_version or '(no version)'} (version not given in this file)")
                continue
            if version.startswith(("[", "(")):
                unresolved.append(f"{name}:{version} (a version range)")
                continue
            scope = _text(dep, "scope")
            optional = _text(dep, "optional") == "true"
            out.append(component(MAVEN, name, version, file.path, direct=True,
                                 scope="dev" if scope == "test" else "optional" if optional else None))
        return self.result(file, out, unresolved=unresolved)

    def _properties(self, project: Element) -> dict[str, str]:
        props: dict[str, str] = {}
        parent = _child(project, "parent")
        for prefix, element in (("project.parent.", parent), ("project.", project), ("pom.", project)):
            for field in ("groupId", "artifactId", "version"):
                value = _text(element, field)
                if value:
                    props[prefix + field] = value
        if "project.version" not in props and "project.parent.version" in props:
            props["project.version"] = props["pom.version"] = props["project.parent.version"]
        if "project.groupId" not in props and "project.parent.groupId" in props:
            props["project.groupId"] = props["pom.groupId"] = props["project.parent.groupId"]
        block = _child(project, "properties")
        for prop in block if block is not None else ():
            props[_local(prop.tag)] = (prop.text or "").strip()
        return props

    def _resolve(self, value: str | None, properties: dict[str, str]) -> str | None:
        """Substitute `${name}` from the file's own properties, at most 10 levels deep."""
        if value is None:
            return None
        for _ in range(10):
            new = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
            if len(new) > 1024:
                raise LockfileError(f"property {value[:40]!r} expands beyond 1,024 characters")
            if new == value:
                break
            value = new
        return value
