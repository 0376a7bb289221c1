"""Valid 统一社会信用代码 for tests, built with the real check character."""
from forms.validators import uscc_check_character


def make_uscc(n: int) -> str:
    """A well-formed USCC whose serial part encodes n."""
    first17 = f"91350100{n:09d}"[:17]
    return first17 + uscc_check_character(first17)
