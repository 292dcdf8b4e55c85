"""IPv4 address ranges as the IPAM provider and CAPMOX write them: ``a-b``, CIDR, or one address."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple


class IPRange(NamedTuple):
    text: str
    first: ipaddress.IPv4Address
    last: ipaddress.IPv4Address

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1

    def overlaps(self, other: IPRange) -> bool:
        return int(self.first) <= int(other.last) and int(other.first) <= int(self.last)

    def contains(self, addr: ipaddress.IPv4Address) -> bool:
        return int(self.first) <= int(addr) <= int(self.last)


def parse_range(text: str) -> IPRange:
    """Parse one range; ``ValueError`` with a person-readable reason on bad input."""
    text = text.strip()
    try:
        if "-" in text:
            a, b = (part.strip() for part in text.split("-", 1))
            first, last = ipaddress.IPv4Address(a), ipaddress.IPv4Address(b)
            if int(last) < int(first):
                raise ValueError(f"range {text!r} is not ascending ({a} is after {b})")
            return IPRange(text, first, last)
        if "/" in text:
            net = ipaddress.IPv4Network(text, strict=False)
            return IPRange(text, net.network_address, net.broadcast_address)
        addr = ipaddress.IPv4Address(text)
        return IPRange(text, addr, addr)
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"{text!r} is not an IPv4 address, range or CIDR ({exc})") from None
    except ipaddress.NetmaskValueError as exc:
        raise ValueError(f"{text!r} has a bad prefix ({exc})") from None
