(window.imSearchData=window.imSearchData||{})["de/t-s"]={"forms":{},"terms":{"sieh":[0,1]}};
