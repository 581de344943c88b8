"""California housing, with the same 8 features as scikit-learn.

The file is ``housing.csv`` from "Hands-On Machine Learning" (``housing.tgz``):
one row per census block group of the 1990 census, 20,640 rows. scikit-learn's
``fetch_california_housing`` offers the same districts as 8 per-household
features; this module derives them from the raw counts::

    MedInc     = median_income                 (tens of thousands of dollars)
    HouseAge   = housing_median_age
    AveRooms   = total_rooms / households
    AveBedrms  = total_bedrooms / households
    Population = population
    AveOccup   = population / households
    Latitude   = latitude
    Longitude  = longitude
    target MedHouseVal = median_house_value / 100_000   (hundreds of thousands)

``total_bedrooms`` is missing in 207 rows (the book removed them on purpose to
teach imputation). We fill each gap with ``total_rooms`` times the median
bedrooms-per-room ratio of the complete rows (about 0.20), which respects each
district's size, unlike filling with a median count. Only ``AveBedrms`` of
those 207 rows therefore differs from scikit-learn's copy.

Features are float64 (what pandas reads and what scikit-learn returns); cast
to float32 when you feed a network, if you like.
"""

from __future__ import annotations

import tarfile
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..settings import resolve_small
from .fetch import fetch

DATASET_NAME = "housing.tgz"
CSV_MEMBER = "housing.csv"
FEATURE_NAMES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude")
TARGET_NAME = "MedHouseVal"
SMALL_SAMPLE_SIZE = 2_000
SMALL_SAMPLE_SEED = 42
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)  # train, validation, test


class HousingSplit(NamedTuple):
    """Train/validation/test parts; unpack it or use the attribute names."""

    X_train: pd.DataFrame
    X_val: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_val: pd.Series
    y_test: pd.Series


def read_housing_csv() -> pd.DataFrame:
    """The raw ``housing.csv`` (10 columns, with its missing values)."""
    with tarfile.open(fetch(DATASET_NAME)) as archive:
        member = archive.extractfile(CSV_MEMBER)
        if member is None:
            raise ValueError(f"{DATASET_NAME} holds no regular file {CSV_MEMBER}")
        with member:
            return pd.read_csv(member)


def impute_total_bedrooms(raw: pd.DataFrame) -> pd.Series:
    """``total_bedrooms`` with gaps filled by rooms x median bedrooms-per-room."""
    bedrooms = raw["total_bedrooms"]
    known = bedrooms.notna()
    bedrooms_per_room = (bedrooms[known] / raw.loc[known, "total_rooms"]).median()
    return bedrooms.fillna(raw["total_rooms"] * bedrooms_per_room)


def derive_features(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """scikit-learn's 8 features and target from the raw columns."""
    households = raw["households"]
    features = pd.DataFrame(
        {
            "MedInc": raw["median_income"],
            "HouseAge": raw["housing_median_age"],
            "AveRooms": raw["total_rooms"] / households,
            "AveBedrms": impute_total_bedrooms(raw) / households,
            "Population": raw["population"],
            "AveOccup": raw["population"] / households,
            "Latitude": raw["latitude"],
            "Longitude": raw["longitude"],
        },
        columns=list(FEATURE_NAMES),
    ).astype("float64")
    target = (raw["median_house_value"] / 100_000).astype("float64").rename(TARGET_NAME)
    return features, target


def load_california_housing(small: bool | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Return ``(X, y)``: 8 float64 features and the target ``MedHouseVal``.

    ``small=True`` (or ``COURSE_SMALL_DATA=1`` when ``small`` is None) returns
    a fixed random sample of 2,000 rows, in their original order and with
    their original index, so results are reproducible from run to run.
    """
    X, y = derive_features(read_housing_csv())
    if resolve_small(small):
        chosen = X.sample(n=SMALL_SAMPLE_SIZE, random_state=SMALL_SAMPLE_SEED).index.sort_values()
        X, y = X.loc[chosen], y.loc[chosen]
    return X, y


def california_housing_split(small: bool | None = None, seed: int = 42) -> HousingSplit:
    """Shuffle with ``seed`` and cut 60% / 20% / 20% into train/val/test.

    In small mode the 2,000-row sample is drawn first and then split
    (1,200 / 400 / 400).
    """
    X, y = load_california_housing(small=small)
    order = np.random.default_rng(seed).permutation(len(X))
    n_train = round(len(X) * SPLIT_FRACTIONS[0])
    n_val = round(len(X) * SPLIT_FRACTIONS[1])
    parts = np.split(order, [n_train, n_train + n_val])
    Xs = [X.iloc[rows] for rows in parts]
    ys = [y.iloc[rows] for rows in parts]
    return HousingSplit(*Xs, *ys)
