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


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"device": 5}, "device must be a string, got 5"),
        ({"smoothing": "ema"}, "smoothing must be a table, got 'ema'"),
        ({"render_factor": 10.5}, "render_factor must be an integer or none, got 10.5"),
        ({"render_factor": True}, "render_factor must be an integer or none, got True"),
        ({"overwrite": "no"}, "overwrite must be true or false, got 'no'"),
        ({"batch_size": 2.5}, "batch_size must be an integer, got 2.5"),
        ({"smoothing": {"strength": "high"}}, "smoothing.strength must be a number, got 'high'"),
        ({"smoothing": {"strength": 1.5}}, "smoothing: smoothing strength must be in [0, 1), got 1.5"),
    ],
)
def test_values_of_the_wrong_type_are_named(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(ColorizeOptions, data)
    assert str(err.value) == message


def test_ints_fit_floats_and_lists_fit_tuples() -> None:
    assert config_from_dict(Outer, {"rate": 2, "inner": {"names": ["a"]}}) == Outer(2, Inner(3, ("a",)))
    with pytest.raises(ConfigError, match=r"inner\.names must be a list, got 'a'"):
        config_from_dict(Outer, {"inner": {"names": "a"}})


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
