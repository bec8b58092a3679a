"""Demo placeholder, filled below."""


def demo_load() -> list[str]:
    return []
