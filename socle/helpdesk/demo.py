def demo_load():
    return []
