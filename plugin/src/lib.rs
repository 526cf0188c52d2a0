use nice_plug::prelude::*;
