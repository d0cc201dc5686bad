from dataclasses import dataclass, field

import pytest

from videocolor.config import ConfigError, config_from_dict, config_to_dict, parse_override
from videocolor.pipeline import PRESET_DIR, ColorizeOptions, load_options


@dataclass(frozen=True)
class Inner:
    size: int = 3
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outer:
    rate: float = 1.0
    inner: Inner = field(default_factory=Inner)


def test_nested_round_trip() -> None:
    cfg = config_from_dict(Outer, {"rate": 2.5, "inner": {"size": 7, "names": ["a", "b"]}})
    assert cfg == Outer(2.5, Inner(7, ("a", "b")))
    assert config_from_dict(Outer, config_to_dict(cfg)) == cfg


def test_unknown_keys_are_named() -> None:
    with pytest.raises(ConfigError, match=r"inner\.sise"):
        config_from_dict(Outer, {"inner": {"sise": 1}})


def test_override_parsing() -> None:
    assert parse_override("inner.size=4") == (["inner", "size"], 4)
    assert parse_override("name=fast") == (["name"], "fast")
    assert parse_override('name="x y"') == (["name"], "x y")
    with pytest.raises(ConfigError):
        parse_override("novalue")


def test_shipped_presets_load_and_default_is_colorizes_defaults() -> None:
    names = {p.stem for p in PRESET_DIR.glob("*.toml") if not p.stem.startswith("train-")}
    assert {"default", "preview", "archival-master"} <= names
    for name in names:
        load_options(name)  # an unknown or mistyped key would raise
    assert load_options("default") == ColorizeOptions()  # what its first line promises
